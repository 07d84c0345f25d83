"""Fixtures of the meetings API tests: the apps on the test session with LiveKit pointed at the
stand-in, and an entity with its admin, another entity's admin and a manager."""

import pytest

from meetings.identity.roles import UserRole
from tests.factories import make_entity, make_user


@pytest.fixture
def client(api, livekit_server):
    """The secretary API on the test session, with LiveKit pointed at the stand-in."""
    from meetings.secretary.app import app

    return api(app)


@pytest.fixture
def webhook_client(api, livekit_server):
    from meetings.secretary.webhooks.app import app

    return api(app)


@pytest.fixture
def entity(db):
    return make_entity(db, max_participants=20, default_instructions="Be brief.")


@pytest.fixture
def manager(db):
    return make_user(db, role=UserRole.MANAGER)


@pytest.fixture
def admin(db, entity):
    return make_user(db, role=UserRole.ENTITY_ADMIN, entity=entity)


@pytest.fixture
def other_admin(db):
    return make_user(db, role=UserRole.ENTITY_ADMIN, entity=make_entity(db))
