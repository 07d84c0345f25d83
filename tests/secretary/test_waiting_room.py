"""The waiting room: clients knock with a right password, the organizer admits or denies, seats hold."""

import pytest
from sqlalchemy import select

from meetings.identity.roles import UserRole
from meetings.manager.entities.service import waiting_room_default
from meetings.notifications.models import WebhookMessage
from meetings.secretary.events.models import RoomEvent
from meetings.secretary.participants.models import ParticipantType
from meetings.secretary.rooms.models import RoomStatus
from tests.factories import make_entity, make_participant, make_professional, make_room, make_user
from tests.notifications.conftest import make_endpoint
from tests.secretary.helpers import JOIN_PASSWORD, add_to_room


@pytest.fixture
def clinic(db):
    return make_entity(db, waiting_room=True, max_participants=20)


@pytest.fixture
def clinic_admin(db, clinic):
    return make_user(db, role=UserRole.ENTITY_ADMIN, entity=clinic)


def join(client, link, password=JOIN_PASSWORD):
    return client.post(f"/v1/join/{link.token}", json={"password": password})


def events(db, room) -> list[str]:
    return [e.event_name for e in db.scalars(select(RoomEvent).where(RoomEvent.room_id == room.id))]


def decide(client, headers, room, link, decision):
    return client.post(f"/v1/rooms/{room.id}/participants/{link.participant_id}/{decision}", headers=headers)


@pytest.mark.parametrize(
    "entity_type, expected",
    [
        ("medical_clinic", True),
        ("Dental Care", True),
        ("psychotherapy", True),
        ("school", False),
        ("agency", False),
    ],
)
def test_the_default_follows_the_entity_type(entity_type, expected):
    assert waiting_room_default(entity_type) is expected


def test_a_client_waits_until_admitted_then_gets_the_token(client, db, clinic, clinic_admin, auth_headers):
    make_endpoint(db, clinic, "https://hooks.example.com/in")
    room = make_room(db, entity=clinic)
    link = add_to_room(db, room, participant=make_participant(db, name="Maria"))

    first = join(client, link)
    assert first.status_code == 202, first.text
    assert first.json()["status"] == "waiting" and first.json()["poll_after_seconds"] == 2
    assert "access_token" not in first.json()
    again = join(client, link)
    assert again.status_code == 202 and again.json()["waiting_since"] == first.json()["waiting_since"]
    assert room.status == RoomStatus.SCHEDULED  # a knock does not start the meeting
    assert events(db, room).count("PARTICIPANT_WAITING") == 1
    messages = db.scalars(select(WebhookMessage).where(WebhookMessage.type == "participant.waiting")).all()
    assert [m.data["participant_id"] for m in messages] == [link.participant_id]
    assert messages[0].data["room_id"] == room.id

    headers = auth_headers(clinic_admin)
    waiting = client.get(f"/v1/rooms/{room.id}/waiting", headers=headers)
    assert waiting.status_code == 200
    assert [(w["participant_id"], w["name"]) for w in waiting.json()["data"]] == [
        (link.participant_id, "Maria")
    ]

    admitted = decide(client, headers, room, link, "admit")
    assert admitted.status_code == 200, admitted.text
    assert admitted.json()["admission"] == "ADMITTED"
    assert client.get(f"/v1/rooms/{room.id}/waiting", headers=headers).json()["data"] == []
    granted = join(client, link)
    assert granted.status_code == 200 and granted.json()["access_token"]
    assert "PARTICIPANT_ADMITTED" in events(db, room)
    assert join(client, link).status_code == 200  # a rejoin does not wait again


def test_a_denied_client_is_refused_from_then_on(client, db, clinic, clinic_admin, auth_headers):
    room = make_room(db, entity=clinic)
    link = add_to_room(db, room)
    assert join(client, link).status_code == 202
    assert decide(client, auth_headers(clinic_admin), room, link, "deny").json()["admission"] == "DENIED"
    for _ in range(2):
        answer = join(client, link)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "participant_denied"
    assert "PARTICIPANT_DENIED" in events(db, room)


def test_a_wrong_password_never_knocks(client, db, clinic):
    room = make_room(db, entity=clinic)
    link = add_to_room(db, room)
    assert join(client, link, password="00000000").status_code == 401
    assert "PARTICIPANT_WAITING" not in events(db, room)


def test_the_organizer_and_professionals_go_straight_in(client, db, clinic):
    room = make_room(db, entity=clinic)
    organizer = add_to_room(db, room, is_organizer=True)
    professional = make_participant(
        db, type=ParticipantType.PROFESSIONAL, professional_id=make_professional(db).id
    )
    assert join(client, organizer).status_code == 200
    assert join(client, add_to_room(db, room, participant=professional)).status_code == 200


@pytest.mark.parametrize("entity_default, room_setting, waits", [(True, False, False), (False, True, True)])
def test_the_room_overrides_the_entity(client, db, entity_default, room_setting, waits):
    room = make_room(db, entity=make_entity(db, waiting_room=entity_default), waiting_room=room_setting)
    assert join(client, add_to_room(db, room)).status_code == (202 if waits else 200)


def test_rooms_take_and_show_the_setting(client, db, clinic, clinic_admin, auth_headers):
    from tests.factories import later

    body = {"title": "Visit", "scheduled_at": later(hours=1).isoformat(), "waiting_room": False}
    created = client.post("/v1/rooms", json=body, headers=auth_headers(clinic_admin))
    assert created.status_code == 201 and created.json()["waiting_room"] is False
    changed = client.patch(
        f"/v1/rooms/{created.json()['id']}", json={"waiting_room": True}, headers=auth_headers(clinic_admin)
    )
    assert changed.status_code == 200 and changed.json()["waiting_room"] is True
    for bad in (0, "yes"):
        answer = client.post(
            "/v1/rooms", json={**body, "waiting_room": bad}, headers=auth_headers(clinic_admin)
        )
        assert answer.status_code == 422


def test_waiting_people_hold_no_seat_and_admitting_respects_capacity(
    client, db, clinic, clinic_admin, auth_headers
):
    room = make_room(db, entity=clinic, max_participants=2)
    organizer, first, second = (
        add_to_room(db, room, is_organizer=True),
        add_to_room(db, room),
        add_to_room(db, room),
    )
    assert join(client, first).status_code == 202 and join(client, second).status_code == 202
    assert join(client, organizer).status_code == 200  # two waiting, one seat taken: room for one more
    headers = auth_headers(clinic_admin)
    assert decide(client, headers, room, first, "admit").status_code == 200
    full = decide(client, headers, room, second, "admit")
    assert full.status_code == 409 and full.json()["error"]["code"] == "room_full"
    assert [
        w["participant_id"]
        for w in client.get(f"/v1/rooms/{room.id}/waiting", headers=headers).json()["data"]
    ] == [second.participant_id]


def test_decisions_refuse_bad_inputs(client, db, clinic, clinic_admin, auth_headers):
    room = make_room(db, entity=clinic)
    link = add_to_room(db, room)
    headers = auth_headers(clinic_admin)
    not_waiting = decide(client, headers, room, link, "admit")
    assert not_waiting.status_code == 409 and not_waiting.json()["error"]["code"] == "not_waiting"
    answer = client.post(f"/v1/rooms/{room.id}/participants/999999/admit", headers=headers)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "participant_not_found"
    assert client.post(f"/v1/rooms/{room.id}/participants/abc/deny", headers=headers).status_code == 422
    assert client.get("/v1/rooms/no-such-room/waiting", headers=headers).status_code == 404
    assert client.get(f"/v1/rooms/{room.id}/waiting").status_code == 401
    join(client, link)
    decide(client, headers, room, link, "deny")
    twice = decide(client, headers, room, link, "deny")
    assert twice.status_code == 409 and twice.json()["error"]["details"]["admission"] == "DENIED"


def test_another_tenant_sees_no_such_room(client, db, clinic, auth_headers):
    room = make_room(db, entity=clinic)
    link = add_to_room(db, room)
    join(client, link)
    stranger = auth_headers(make_user(db, role=UserRole.ENTITY_ADMIN, entity=make_entity(db)))
    for answer in (
        client.get(f"/v1/rooms/{room.id}/waiting", headers=stranger),
        decide(client, stranger, room, link, "admit"),
        decide(client, stranger, room, link, "deny"),
    ):
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "room_not_found"


def test_the_organizer_decides_from_inside_the_meeting(client, db, clinic):
    room = make_room(db, entity=clinic)
    organizer = add_to_room(db, room, is_organizer=True)
    patient, other = add_to_room(db, room), add_to_room(db, room)
    bearer = {"Authorization": f"Bearer {join(client, organizer).json()['access_token']}"}
    assert join(client, patient).status_code == 202 and join(client, other).status_code == 202
    base = f"/v1/join/{organizer.token}"

    listed = client.get(f"{base}/waiting", headers=bearer)
    assert listed.status_code == 200
    assert [w["participant_id"] for w in listed.json()["data"]] == [
        patient.participant_id,
        other.participant_id,
    ]
    assert (
        client.post(f"{base}/participants/{patient.participant_id}/admit", headers=bearer).status_code == 200
    )
    assert client.post(f"{base}/participants/{other.participant_id}/deny", headers=bearer).status_code == 200
    assert join(client, patient).status_code == 200 and join(client, other).status_code == 403


def test_only_the_organizers_meeting_token_decides(client, db, clinic):
    room = make_room(db, entity=clinic)
    organizer = add_to_room(db, room, is_organizer=True)
    colleague = make_participant(
        db, type=ParticipantType.PROFESSIONAL, professional_id=make_professional(db).id
    )
    professional = add_to_room(db, room, participant=colleague)
    patient = add_to_room(db, room)
    join(client, patient)
    not_organizer = {"Authorization": f"Bearer {join(client, professional).json()['access_token']}"}
    base = f"/v1/join/{organizer.token}"
    answer = client.get(f"{base}/waiting")
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "not_authenticated"
    answer = client.get(f"{base}/waiting", headers={"Authorization": "Bearer nonsense"})
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_token"
    answer = client.post(f"{base}/participants/{patient.participant_id}/admit", headers=not_organizer)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "not_organizer"
    own = f"/v1/join/{professional.token}/participants/{patient.participant_id}/admit"
    assert client.post(own, headers=not_organizer).json()["error"]["code"] == "not_organizer"
    # Another room's organizer token does not work on this room's link.
    elsewhere = make_room(db, entity=make_entity(db))
    foreign = add_to_room(db, elsewhere, is_organizer=True)
    foreign_bearer = {"Authorization": f"Bearer {join(client, foreign).json()['access_token']}"}
    assert client.get(f"{base}/waiting", headers=foreign_bearer).status_code == 403
    assert client.get("/v1/join/not-a-link/waiting", headers=foreign_bearer).status_code == 404
