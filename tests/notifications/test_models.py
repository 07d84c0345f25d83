"""Rules the database holds for the webhook tables."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.notifications.conftest import make_endpoint


def test_updated_at_moves_with_every_change_of_an_endpoint(db, clinic):
    from sqlalchemy import text

    endpoint = make_endpoint(db, clinic.entity, "https://ehr.example.com/hooks")
    db.execute(
        text("UPDATE webhook_endpoints SET updated_at = '2000-01-01T00:00:00Z' WHERE id = :id"),
        {"id": endpoint.id},
    )
    db.refresh(endpoint)
    assert endpoint.updated_at.year > 2000


@pytest.mark.parametrize(
    "column, value",
    [("event_types", "{}"), ("disabled_reason", "tired"), ("url", "https://" + "a" * 2000)],
)
def test_the_database_refuses_what_the_api_would(db, clinic, column, value):
    endpoint = make_endpoint(db, clinic.entity, "https://ehr.example.com/hooks")
    with pytest.raises(IntegrityError), db.begin_nested():
        db.execute(
            text(f"UPDATE webhook_endpoints SET {column} = :value WHERE id = :id"),
            {"value": value, "id": endpoint.id},
        )
