"""Fixtures of the visit-note tests: a finished clinic visit with consented and non-consented speech,
the scripted chat server, and the drafting job run as the jobs role in its scope."""

from datetime import UTC, datetime, timedelta

import pytest

from devserver.chat_completions import ScriptedChatServer
from meetings.secretary.participants.models import ParticipantType


@pytest.fixture
def chat_server():
    server = ScriptedChatServer().start()
    yield server
    server.stop()


@pytest.fixture
def note_model(chat_server):
    """The production model client, pointed at the scripted server."""
    from meetings.secretary.notes.llm import note_model
    from meetings.settings import Settings

    return note_model(
        Settings(
            openai_base_url=chat_server.base_url, openai_api_key="sk-test-local", note_model="local-model"
        )
    )


@pytest.fixture
def run_job(db):
    """Runs the drafting job for a note as the jobs role, in the jobs scope."""
    from sqlalchemy import text

    from meetings.db_roles import JOBS_ROLE
    from meetings.db_scope import set_db_scope
    from meetings.secretary.notes.drafting import draft_note
    from tests.conftest import HARNESS_SCOPE
    from tests.support.roles import acting_as

    def run(note_id: int, model, **kwargs) -> str:
        set_db_scope(db, "jobs")
        try:
            with acting_as(db, JOBS_ROLE):
                return draft_note(db=db, note_id=note_id, model=model, **kwargs)
        finally:
            db.info.pop("db_scope", None)
            db.execute(text(HARNESS_SCOPE))
            db.expire_all()

    return run


@pytest.fixture
def clinic(db):
    from tests.factories import make_entity

    return make_entity(db, type="medical_clinic", default_instructions="Use metric units.")


@pytest.fixture
def visit(db, clinic):
    """A room that ran, with a doctor and a patient who consented, a relative who refused the assistant,
    the agent, and the room ended (so its note is pending). Returns (room, segments by name, note)."""
    from meetings.secretary.agent_usage.models import AgentUsage
    from meetings.secretary.consent.service import record_join_consent
    from meetings.secretary.notes.models import VisitNote
    from meetings.secretary.rooms.models import RoomStatus
    from meetings.secretary.rooms.service import mark_ended
    from meetings.secretary.transcripts.service import record_transcript_segment
    from tests.factories import make_participant, make_professional, make_room
    from tests.secretary.helpers import add_to_room
    from tests.support.roles import as_harness

    room = make_room(db, clinic, status=RoomStatus.ACTIVE)
    professional = make_professional(db, name="Dr. Ana Souza")
    doctor = make_participant(
        db, name="Dr. Ana Souza", type=ParticipantType.PROFESSIONAL, professional_id=professional.id
    )
    patient = make_participant(db, name="Maria Lima")
    relative = make_participant(db, name="João Lima")
    agent = make_participant(db, name="Assistant", type=ParticipantType.AGENT)
    for person, assistant in ((doctor, True), (patient, True), (relative, False)):
        add_to_room(db, room, person)
        record_join_consent(
            db=db,
            room_id=room.id,
            entity_id=clinic.id,
            participant_id=person.id,
            recording=True,
            assistant=assistant,
            language="en",
            client_address=None,
        )
    lines = [
        ("doctor", doctor, 1.0, "Good morning, what brings you here today?"),
        ("cough", patient, 4.0, "I have had a dry cough for two weeks, worse at night."),
        ("relative", relative, 9.0, "She also smokes a pack a day."),
        ("fever", patient, 12.0, "No fever, but my chest hurts when coughing."),
        (
            "plan",
            doctor,
            20.0,
            "Take ibuprofen 400 mg every eight hours for five days and come back next week.",
        ),
        ("agent", agent, 25.0, "Reminder: ask about allergies."),
    ]
    segments = {}
    with as_harness(db):
        db.add(
            AgentUsage(
                room_id=room.id,
                participant_id=agent.id,
                entity_id=clinic.id,
                session_start=datetime.now(UTC) - timedelta(minutes=30),
                session_end=datetime.now(UTC),
                data={"total_tokens_input": 10},
            )
        )
        for name, person, start, words in lines:
            segments[name] = record_transcript_segment(
                db=db,
                room_id=room.id,
                participant_id=person.id,
                speaker_name=person.name,
                speaker_type=person.type,
                start_seconds=start,
                end_seconds=start + 2.5,
                text=words,
                language="en",
            )
    mark_ended(db=db, room=room, at=datetime.now(UTC), reason="ended_by_organizer")
    db.flush()
    note = db.query(VisitNote).filter_by(room_id=room.id).one()
    return room, segments, note


@pytest.fixture
def clinic_admin(db, clinic):
    from meetings.identity.roles import UserRole
    from tests.factories import make_user

    return make_user(db, role=UserRole.ENTITY_ADMIN, entity=clinic)


@pytest.fixture
def drafted(db, visit, chat_server, note_model, run_job):
    """The visit with its note drafted from a well-formed answer: (room, segments, note)."""
    from tests.secretary.notes.scripted import soap_answer

    room, segments, note = visit
    chat_server.script = [soap_answer(segments)]
    assert run_job(note.id, note_model) == "drafted"
    db.refresh(note)
    return room, segments, note
