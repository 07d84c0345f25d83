"""request_principal: the caller's user row and the transaction's tenant scope in one statement."""

import pytest
from sqlalchemy import text

from meetings.db_scope import principal_db_scope
from meetings.identity.principal import Principal
from meetings.identity.roles import UserRole
from tests.factories import make_entity, make_user

CALL = text("SELECT user_id, user_role, user_entity_id FROM request_principal(:user_id, :version)")
SETTINGS = text("SELECT current_setting('app.scope', true), current_setting('app.entity_id', true)")
VISIBLE_ENTITIES = text("SELECT id FROM entities ORDER BY id")


@pytest.mark.parametrize("role", [UserRole.MANAGER, UserRole.ENTITY_ADMIN])
def test_the_scope_is_the_one_the_principal_gets_in_python(db, role):
    entity = make_entity(db)
    user = make_user(db, role=role, entity=entity if role == UserRole.ENTITY_ADMIN else None)

    row = db.execute(CALL, {"user_id": user.id, "version": user.token_version}).one()
    scope, entity_id = db.execute(SETTINGS).one()

    principal = Principal(row.user_id, UserRole(row.user_role), row.user_entity_id)
    assert principal == Principal(user.id, role, user.entity_id)
    expected_scope, expected_entity = principal_db_scope(principal)
    assert (scope, entity_id) == (expected_scope, "" if expected_entity is None else str(expected_entity))


def test_an_entity_admin_then_sees_only_their_entity(db):
    own, other = make_entity(db), make_entity(db)
    admin = make_user(db, role=UserRole.ENTITY_ADMIN, entity=own)

    db.execute(CALL, {"user_id": admin.id, "version": admin.token_version}).one()

    assert db.execute(VISIBLE_ENTITIES).scalars().all() == [own.id]
    assert other.id not in db.execute(VISIBLE_ENTITIES).scalars().all()


@pytest.mark.parametrize("case", ["outdated token", "inactive user", "unknown user"])
def test_no_user_means_no_row_and_a_transaction_that_sees_nothing(db, case):
    entity = make_entity(db)
    user = make_user(db, role=UserRole.MANAGER, active=case != "inactive user")
    user_id = user.id + 1_000_000 if case == "unknown user" else user.id
    version = user.token_version + 1 if case == "outdated token" else user.token_version

    rows = db.execute(CALL, {"user_id": user_id, "version": version}).all()

    assert rows == []
    assert db.execute(SETTINGS).one()[0] == ""
    assert entity.id not in db.execute(VISIBLE_ENTITIES).scalars().all()
