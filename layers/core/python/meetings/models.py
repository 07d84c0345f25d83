"""Imports every table so the metadata is complete (migrations, tests, tooling)."""

from meetings.db import Base
from meetings.manager.auth.models import LoginThrottle
from meetings.manager.consent.models import ConsentText
from meetings.manager.departments.models import Department
from meetings.manager.entities.models import Entity
from meetings.manager.knowledge.models import KnowledgeChunk, KnowledgeDocument
from meetings.manager.note_templates.models import NoteTemplate
from meetings.manager.professionals.models import Professional, ProfessionalEntity
from meetings.manager.users.models import User
from meetings.notifications.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from meetings.secretary.agent_usage.models import AgentUsage
from meetings.secretary.consent.models import ConsentRecord
from meetings.secretary.events.models import AgentSessionEvent, RoomEvent
from meetings.secretary.notes.models import VisitNote
from meetings.secretary.participants.models import Participant, RoomParticipant
from meetings.secretary.recordings.models import Recording
from meetings.secretary.retention.models import RetentionReceipt
from meetings.secretary.rooms.models import Room
from meetings.secretary.transcripts.models import TranscriptSegment
from meetings.secretary.webhooks.models import WebhookReceipt

metadata = Base.metadata

__all__ = [
    "ConsentRecord",
    "ConsentText",
    "AgentSessionEvent",
    "AgentUsage",
    "Department",
    "Entity",
    "KnowledgeChunk",
    "KnowledgeDocument",
    "LoginThrottle",
    "NoteTemplate",
    "Participant",
    "Professional",
    "ProfessionalEntity",
    "Recording",
    "RetentionReceipt",
    "Room",
    "TranscriptSegment",
    "VisitNote",
    "RoomEvent",
    "RoomParticipant",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookMessage",
    "WebhookReceipt",
    "metadata",
]
