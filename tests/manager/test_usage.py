"""Usage report: sums of agent_usage per day, department and room, totals, CSV and tenant scope."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from meetings.identity.principal import Principal
from meetings.manager.usage.schemas import UsageGroup
from meetings.manager.usage.service import spreadsheet_safe, usage_report
from tests.factories import make_department, make_room
from tests.manager.builders import make_agent, make_usage
from tests.support.answers import error_code, field_codes

DAY1 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
DAY2 = datetime(2026, 10, 6, 23, 30, tzinfo=UTC)
PERIOD = {"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}


def figures(tokens_in, tokens_out, audio, interactions, cost) -> dict:
    return {
        "total_tokens_input": tokens_in,
        "total_tokens_output": tokens_out,
        "total_audio_minutes": audio,
        "interactions_count": interactions,
        "cost_estimate": cost,
        "model": "gpt-4o-mini",
    }


@pytest.fixture
def usage(db, clinic, other_clinic):
    """Three sessions of the clinic on two days and two rooms, one in another clinic, one outside the period."""
    agent = make_agent(db)
    second_department = make_department(db, clinic.entity, name="Radiology")
    cardio_room = make_room(db, clinic.entity, clinic.department, title="Cardio follow-up")
    radio_room = make_room(db, clinic.entity, second_department, title="Scan review")
    other_room = make_room(db, other_clinic.entity)
    make_usage(db, cardio_room, agent, DAY1, 30, **figures(1000, 500, 30.0, 10, 1.25))
    make_usage(db, cardio_room, agent, DAY1 + timedelta(hours=2), 15, **figures(200, 100, 15.5, 4, 0.5))
    make_usage(db, radio_room, agent, DAY2, 60, **figures(3000, 1500, 60.0, 20, 2.0))
    make_usage(db, other_room, agent, DAY1, 45, **figures(9999, 9999, 99.0, 99, 9.0))
    make_usage(
        db, cardio_room, agent, datetime(2026, 9, 30, 23, 59, tzinfo=UTC), 5, **figures(7, 7, 7.0, 7, 7.0)
    )
    return {"cardio": cardio_room, "radio": radio_room, "radiology": second_department}


def rows_by_key(body) -> dict:
    return {row["key"]: row for row in body["items"]}


def test_group_by_day_sums_each_figure(client, clinic, usage, auth_headers):
    response = client.get(
        "/v1/usage", params={**PERIOD, "group_by": "day"}, headers=auth_headers(clinic.admin)
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["entity_id"] == clinic.entity.id and body["group_by"] == "day"
    assert list(rows_by_key(body)) == ["2026-10-05", "2026-10-06"]
    assert rows_by_key(body)["2026-10-05"] == {
        "key": "2026-10-05",
        "label": None,
        "sessions": 2,
        "active_sessions": 0,
        "duration_seconds": 45 * 60,
        "tokens_in": 1200,
        "tokens_out": 600,
        "audio_minutes": 45.5,
        "interactions": 14,
        "cost_estimate": 1.75,
    }
    assert body["totals"] == {
        "sessions": 3,
        "active_sessions": 0,
        "duration_seconds": 105 * 60,
        "tokens_in": 4200,
        "tokens_out": 2100,
        "audio_minutes": 105.5,
        "interactions": 34,
        "cost_estimate": 3.75,
    }


def test_group_by_department_and_room_label_rows(client, clinic, usage, auth_headers):
    headers = auth_headers(clinic.admin)
    by_department = client.get(
        "/v1/usage", params={**PERIOD, "group_by": "department"}, headers=headers
    ).json()
    by_room = client.get("/v1/usage", params={**PERIOD, "group_by": "room"}, headers=headers).json()

    assert {key: (row["label"], row["sessions"]) for key, row in rows_by_key(by_department).items()} == {
        str(clinic.department.id): (clinic.department.name, 2),
        str(usage["radiology"].id): ("Radiology", 1),
    }
    assert {key: (row["label"], row["tokens_in"]) for key, row in rows_by_key(by_room).items()} == {
        usage["cardio"].id: ("Cardio follow-up", 1200),
        usage["radio"].id: ("Scan review", 3000),
    }
    assert by_department["totals"] == by_room["totals"]


def test_manager_sees_all_entities_or_one(client, manager, clinic, other_clinic, usage, auth_headers):
    headers = auth_headers(manager)
    one = client.get(
        "/v1/usage", params={**PERIOD, "entity_id": other_clinic.entity.id}, headers=headers
    ).json()
    everything = client.get("/v1/usage", params={**PERIOD, "group_by": "room"}, headers=headers).json()

    assert one["totals"]["tokens_in"] == 9999
    assert everything["entity_id"] is None
    assert everything["totals"]["sessions"] >= 4


def test_running_sessions_count_with_their_duration_so_far(db, clinic):
    agent = make_agent(db)
    room = make_room(db, clinic.entity)
    now = datetime(2026, 10, 10, 12, 0, tzinfo=UTC)
    make_usage(db, room, agent, now - timedelta(minutes=20), None, total_tokens_input=10)
    make_usage(db, room, agent, now - timedelta(hours=1), 10, total_tokens_input="not a number")
    principal = Principal(user_id=clinic.admin.id, role=clinic.admin.role, entity_id=clinic.entity.id)

    report = usage_report(
        db=db,
        principal=principal,
        entity_id=None,
        start=now - timedelta(days=1),
        end=now,
        group_by=UsageGroup.DAY,
        now=now,
    )

    assert (report.totals.sessions, report.totals.active_sessions) == (2, 1)
    assert report.totals.duration_seconds == 30 * 60
    assert report.totals.tokens_in == 10


def test_a_note_drafting_row_adds_its_tokens_and_cost_but_no_session(db, clinic):
    agent = make_agent(db)
    room = make_room(db, clinic.entity)
    now = datetime(2026, 10, 10, 12, 0, tzinfo=UTC)
    make_usage(db, room, agent, now - timedelta(hours=1), 30, total_tokens_input=100, cost_estimate=0.5)
    make_usage(
        db,
        room,
        agent,
        now - timedelta(minutes=20),
        0,
        kind="note_draft",
        total_tokens_input=40,
        cost_estimate=0.25,
    )
    principal = Principal(user_id=clinic.admin.id, role=clinic.admin.role, entity_id=clinic.entity.id)

    report = usage_report(
        db=db,
        principal=principal,
        entity_id=None,
        start=now - timedelta(days=1),
        end=now,
        group_by=UsageGroup.ROOM,
        now=now,
    )

    assert report.totals.sessions == 1
    assert (report.totals.tokens_in, report.totals.cost_estimate) == (140, 0.75)
    assert report.totals.duration_seconds == 30 * 60


def test_empty_period_gives_zero_totals(client, clinic, auth_headers):
    body = client.get("/v1/usage", params=PERIOD, headers=auth_headers(clinic.admin)).json()
    assert body["items"] == [] and body["totals"]["sessions"] == 0 and body["totals"]["cost_estimate"] == 0


def test_default_period_is_the_last_30_days(client, clinic, auth_headers):
    body = client.get("/v1/usage", headers=auth_headers(clinic.admin)).json()
    start, end = datetime.fromisoformat(body["from"]), datetime.fromisoformat(body["to"])
    assert end - start == timedelta(days=30)


def test_csv_variant(client, clinic, usage, auth_headers):
    response = client.get(
        "/v1/usage",
        params={**PERIOD, "group_by": "day"},
        headers={**auth_headers(clinic.admin), "Accept": "text/csv"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["key"] for row in rows] == ["2026-10-05", "2026-10-06", "TOTAL"]
    assert (rows[-1]["sessions"], rows[-1]["tokens_in"], rows[-1]["cost_estimate"]) == ("3", "4200", "3.75")


@pytest.mark.parametrize("title", ['=HYPERLINK("http://evil")', "+1+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_never_start_a_formula(client, db, clinic, auth_headers, title):
    room = make_room(db, clinic.entity, clinic.department, title=title)
    make_usage(db, room, make_agent(db), DAY1, 10, **figures(1, 1, 1.0, 1, 0.1))
    response = client.get(
        "/v1/usage",
        params={**PERIOD, "group_by": "room"},
        headers={**auth_headers(clinic.admin), "Accept": "text/csv"},
    )

    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["label"] == "'" + title
    assert rows[-1]["key"] == "TOTAL"


@pytest.mark.parametrize(
    ("value", "shown"),
    [("Cardio", "Cardio"), ("=1+1", "'=1+1"), ("a=b", "a=b"), ("", ""), ("'quoted", "'quoted")],
)
def test_spreadsheet_safe_escapes_only_a_leading_trigger(value, shown):
    assert spreadsheet_safe(value) == shown


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"group_by": "week"}, "query.group_by", "enum"),
        ({"from": "yesterday"}, "query.from", "datetime_from_date_parsing"),
        ({"from": "2026-11-01", "to": "2026-10-01"}, "to", "invalid_range"),
        ({"entity_id": "x"}, "query.entity_id", "int_parsing"),
    ],
)
def test_bad_parameters_are_422(client, manager, auth_headers, params, field, code):
    codes = field_codes(client.get("/v1/usage", params=params, headers=auth_headers(manager)))
    assert codes[field] == code


def test_entity_admin_cannot_read_another_entitys_usage(client, clinic, other_clinic, usage, auth_headers):
    response = client.get(
        "/v1/usage", params={"entity_id": other_clinic.entity.id}, headers=auth_headers(clinic.admin)
    )
    assert (response.status_code, error_code(response)) == (404, "entity_not_found")


def test_usage_requires_authentication(client):
    assert client.get("/v1/usage").status_code == 401


def test_the_report_is_paginated_and_its_totals_cover_every_page(client, clinic, usage, auth_headers):
    headers = auth_headers(clinic.admin)
    params = {**PERIOD, "group_by": "day", "limit": 1}
    first = client.get("/v1/usage", params=params, headers=headers).json()
    second = client.get("/v1/usage", params={**params, "offset": 1}, headers=headers).json()
    too_big = client.get("/v1/usage", params={**params, "limit": 201}, headers=headers)

    assert (first["total"], first["limit"], first["offset"]) == (2, 1, 0)
    assert [row["key"] for row in first["items"]] == ["2026-10-05"]
    assert [row["key"] for row in second["items"]] == ["2026-10-06"]
    assert first["totals"] == second["totals"] and first["totals"]["sessions"] == 3
    assert too_big.status_code == 422
