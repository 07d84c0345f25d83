"""Entities with an admin, endpoints, and one endpoint on the local receiver (tests/notifications/fixtures.py)."""

from types import SimpleNamespace

import pytest

from meetings.manager.users.models import UserRole
from meetings.notifications.catalogue import EventType
from meetings.notifications.models import WebhookEndpoint
from meetings.notifications.service import new_secret
from tests.factories import make_entity, make_user


@pytest.fixture
def tenant(db):
    def make() -> SimpleNamespace:
        entity = make_entity(db)
        return SimpleNamespace(entity=entity, admin=make_user(db, role=UserRole.ENTITY_ADMIN, entity=entity))

    return make


@pytest.fixture
def clinic(tenant):
    return tenant()


@pytest.fixture
def other_clinic(tenant):
    return tenant()


def make_endpoint(db, entity, url: str, types=tuple(EventType), **fields) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        entity_id=entity.id,
        url=url,
        event_types=[str(t) for t in types],
        secret=fields.pop("secret", new_secret()),
        **fields,
    )
    db.add(endpoint)
    db.flush()
    return endpoint


@pytest.fixture
def endpoint(db, clinic, receiver, allow_loopback) -> WebhookEndpoint:
    return make_endpoint(db, clinic.entity, receiver.url)
