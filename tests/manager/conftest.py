"""A manager, two organizations with an admin each, and a client for the manager API."""

from types import SimpleNamespace

import pytest

from meetings.identity.roles import UserRole
from tests.factories import make_department, make_entity, make_user


@pytest.fixture
def client(api):
    from meetings.manager.app import app

    return api(app)


@pytest.fixture
def manager(db):
    return make_user(db, role=UserRole.MANAGER)


@pytest.fixture
def tenant(db):
    """Builds an organization with a department and an ENTITY_ADMIN."""

    def make(**entity_fields) -> SimpleNamespace:
        entity = make_entity(db, **entity_fields)
        return SimpleNamespace(
            entity=entity,
            department=make_department(db, entity),
            admin=make_user(db, role=UserRole.ENTITY_ADMIN, entity=entity),
        )

    return make


@pytest.fixture
def clinic(tenant):
    return tenant()


@pytest.fixture
def other_clinic(tenant):
    return tenant()
