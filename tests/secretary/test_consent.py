"""Consent as a record: versioned texts, each join's choices, withdrawal pushed to LiveKit, recording gates."""

import pytest
from livekit.api import TokenVerifier
from sqlalchemy import select

from meetings.identity.roles import UserRole
from meetings.secretary.consent.models import ConsentRecord
from meetings.secretary.consent.service import hash_client_address
from meetings.secretary.rooms.models import RoomStatus
from tests.factories import make_entity, make_participant, make_room, make_user
from tests.secretary.helpers import JOIN_PASSWORD, add_to_room
from tests.support.fixtures import TEST_API_KEY, TEST_API_SECRET

TEXT = {
    "language": "en",
    "recording_text": "We record the visit.",
    "assistant_text": "An AI assistant listens.",
}


@pytest.fixture
def manager_client(api):
    from meetings.manager.app import app

    return api(app)


@pytest.fixture
def staff(db, entity, auth_headers):
    return auth_headers(make_user(db, role=UserRole.ENTITY_ADMIN, entity=entity))


@pytest.fixture
def stranger(db, auth_headers):
    return auth_headers(make_user(db, role=UserRole.ENTITY_ADMIN, entity=make_entity(db)))


def join(client, link, consent=None, **extra):
    body = {"password": JOIN_PASSWORD, **extra}
    if consent is not None:
        body["consent"] = consent
    return client.post(f"/v1/join/{link.token}", json=body)


# ---- consent texts --------------------------------------------------------------------------------


def test_editing_a_text_makes_a_new_version_and_old_ones_stay_readable(manager_client, entity, staff):
    url = f"/v1/entities/{entity.id}/consent-texts"
    first = manager_client.post(url, json=TEXT, headers=staff)
    assert first.status_code == 201, first.text
    second = manager_client.post(
        url, json={**TEXT, "recording_text": "We record and keep 90 days."}, headers=staff
    )
    portuguese = manager_client.post(url, json={**TEXT, "language": "pt"}, headers=staff)
    assert (first.json()["version"], second.json()["version"], portuguese.json()["version"]) == (1, 2, 1)
    listed = manager_client.get(url, params={"language": "en"}, headers=staff).json()["data"]
    assert [t["version"] for t in listed] == [2, 1]
    old = manager_client.get(f"{url}/{first.json()['id']}", headers=staff)
    assert old.status_code == 200 and old.json()["recording_text"] == "We record the visit."


@pytest.mark.parametrize(
    "body",
    [
        {**TEXT, "language": "de"},
        {**TEXT, "recording_text": ""},
        {**TEXT, "assistant_text": "x" * 4001},
        {"language": "en", "recording_text": "only one"},
        {**TEXT, "extra": 1},
    ],
)
def test_bad_texts_are_422(manager_client, entity, staff, body):
    answer = manager_client.post(f"/v1/entities/{entity.id}/consent-texts", json=body, headers=staff)
    assert answer.status_code == 422


def test_another_tenants_texts_do_not_exist(manager_client, entity, staff, stranger):
    url = f"/v1/entities/{entity.id}/consent-texts"
    created = manager_client.post(url, json=TEXT, headers=staff).json()
    for answer in (
        manager_client.post(url, json=TEXT, headers=stranger),
        manager_client.get(url, headers=stranger),
        manager_client.get(f"{url}/{created['id']}", headers=stranger),
    ):
        assert answer.status_code == 404
    assert manager_client.get(f"{url}/999999", headers=staff).status_code == 404
    assert manager_client.get(url).status_code == 401


# ---- decisions at join ----------------------------------------------------------------------------


def test_a_join_stores_the_choices_against_the_text_and_puts_them_in_the_token(
    client, manager_client, db, entity, staff
):
    manager_client.post(
        f"/v1/entities/{entity.id}/consent-texts", json={**TEXT, "language": "pt"}, headers=staff
    )
    room = make_room(db, entity=entity)
    link = add_to_room(db, room)
    info = client.get(f"/v1/join/{link.token}", params={"language": "pt"}).json()
    assert info["consent_text"]["language"] == "pt" and info["consent_text"]["version"] == 1

    answer = join(client, link, {"recording": False, "assistant": True}, language="pt")
    assert answer.status_code == 200, answer.text
    claims = TokenVerifier(TEST_API_KEY, TEST_API_SECRET).verify(answer.json()["access_token"])
    assert claims.attributes["consent_recording"] == "false"
    assert claims.attributes["consent_assistant"] == "true"
    [record] = db.scalars(select(ConsentRecord).where(ConsentRecord.room_id == room.id)).all()
    assert (record.participant_id, record.recording, record.assistant) == (link.participant_id, False, True)
    assert record.consent_text_id == info["consent_text"]["id"] and record.action == "JOIN"
    assert record.client_address_hash == hash_client_address("testclient")
    assert "testclient" not in record.client_address_hash


def test_a_join_without_consent_consents_to_nothing(client, db, entity):
    room = make_room(db, entity=entity)
    link = add_to_room(db, room)
    claims = TokenVerifier(TEST_API_KEY, TEST_API_SECRET).verify(join(client, link).json()["access_token"])
    assert (claims.attributes["consent_recording"], claims.attributes["consent_assistant"]) == (
        "false",
        "false",
    )
    [record] = db.scalars(select(ConsentRecord).where(ConsentRecord.room_id == room.id)).all()
    assert (record.recording, record.assistant, record.consent_text_id) == (False, False, None)


@pytest.mark.parametrize(
    "consent", [{"recording": "yes"}, {"recording": 1}, {"assistant": None}, {"other": True}, "all"]
)
def test_bad_consent_bodies_are_422(client, db, entity, consent):
    link = add_to_room(db, make_room(db, entity=entity))
    assert join(client, link, consent).status_code == 422


# ---- withdrawal -----------------------------------------------------------------------------------


def test_withdrawing_assistant_consent_is_recorded_and_pushed_to_livekit(client, db, entity, livekit_server):
    room = make_room(db, entity=entity, status=RoomStatus.ACTIVE)
    link = add_to_room(db, room)
    grant = join(client, link, {"recording": True, "assistant": True}).json()
    livekit_server.add_participant(
        room.livekit_room_id, grant["identity"], attributes={"consent_assistant": "true", "room_id": room.id}
    )
    answer = client.post(
        f"/v1/join/{link.token}/consent/assistant/withdraw",
        headers={"Authorization": f"Bearer {grant['access_token']}"},
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["recording"], answer.json()["assistant"]) == (True, False)
    [update] = livekit_server.method_calls("UpdateParticipant")
    assert (update.room, update.identity, dict(update.attributes)) == (
        room.livekit_room_id,
        grant["identity"],
        {"consent_assistant": "false"},
    )
    attributes = livekit_server.participants[room.livekit_room_id][grant["identity"]].attributes
    assert dict(attributes) == {"consent_assistant": "false", "room_id": room.id}
    actions = [r.action for r in db.scalars(select(ConsentRecord).where(ConsentRecord.room_id == room.id))]
    assert actions == ["JOIN", "WITHDRAW"]


def test_only_the_links_own_token_withdraws(client, db, entity, livekit_server):
    room = make_room(db, entity=entity, status=RoomStatus.ACTIVE)
    link, other = add_to_room(db, room), add_to_room(db, room)
    other_token = join(client, other).json()["access_token"]
    url = f"/v1/join/{link.token}/consent/assistant/withdraw"
    assert client.post(url).json()["error"]["code"] == "not_authenticated"
    assert (
        client.post(url, headers={"Authorization": "Bearer junk"}).json()["error"]["code"] == "invalid_token"
    )
    answer = client.post(url, headers={"Authorization": f"Bearer {other_token}"})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "not_this_participant"
    assert client.post("/v1/join/not-a-link/consent/assistant/withdraw").status_code == 404


# ---- the room's view and the recording gate -------------------------------------------------------


def test_the_room_shows_who_consented_to_what(client, db, entity, staff, stranger):
    room = make_room(db, entity=entity)
    link = add_to_room(db, room, participant=make_participant(db, name="Maria"))
    join(client, link, {"recording": True, "assistant": False})
    answer = client.get(f"/v1/rooms/{room.id}/consents", headers=staff)
    assert answer.status_code == 200
    [row] = answer.json()["data"]
    assert (row["participant_name"], row["recording"], row["assistant"]) == ("Maria", True, False)
    assert client.get(f"/v1/rooms/{room.id}/consents", headers=stranger).status_code == 404
    assert client.get("/v1/rooms/nope/consents", headers=staff).status_code == 404
    assert client.get(f"/v1/rooms/{room.id}/consents").status_code == 401


def test_a_recording_cannot_start_while_someone_present_has_not_consented(
    client, db, entity, staff, livekit_server, s3
):
    room = make_room(db, entity=entity)
    yes = add_to_room(db, room)
    no = add_to_room(db, room, participant=make_participant(db, name="Joana"))
    join(client, yes, {"recording": True, "assistant": True})
    join(client, no, {"recording": False, "assistant": True})
    livekit_server.ensure_room(room.livekit_room_id)
    answer = client.post(f"/v1/rooms/{room.id}/recordings", headers=staff)
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "consent_missing"
    assert answer.json()["error"]["details"]["participants"] == [
        {"participant_id": no.participant_id, "name": "Joana"}
    ]
    assert livekit_server.method_calls("StartRoomCompositeEgress") == []
    join(client, no, {"recording": True, "assistant": True})  # rejoins saying yes: the latest decision wins
    assert client.post(f"/v1/rooms/{room.id}/recordings", headers=staff).status_code == 201


def recording_then_a_late_refusal(client, sign_webhook, db, entity, staff, livekit_server):
    """A room being recorded, and LiveKit's participant_joined of someone who refused recording:
    (room, recording, the late participant, the signed event, its body and headers)."""
    import time

    from devserver.livekit_webhooks import webhook_event

    room = make_room(db, entity=entity)
    join(client, add_to_room(db, room), {"recording": True, "assistant": True})
    livekit_server.ensure_room(room.livekit_room_id)
    recording = client.post(f"/v1/rooms/{room.id}/recordings", headers=staff).json()
    late = add_to_room(db, room)
    join(client, late, {"recording": False, "assistant": True})
    event = webhook_event(
        "participant_joined",
        room_name=room.livekit_room_id,
        identity=f"participant-{late.participant_id}",
        created_at=int(time.time()),
    )
    body, headers = sign_webhook(event)
    return room, recording, late, event, body, headers


def recording_stops(db, room) -> list:
    from meetings.secretary.events.models import RoomEvent

    return db.scalars(
        select(RoomEvent).where(RoomEvent.room_id == room.id, RoomEvent.event_name == "RECORDING_STOPPED")
    ).all()


def test_a_recording_stops_when_someone_without_recording_consent_joins(
    client, webhook_client, sign_webhook, db, entity, staff, livekit_server, s3
):
    room, recording, late, _, body, headers = recording_then_a_late_refusal(
        client, sign_webhook, db, entity, staff, livekit_server
    )
    assert webhook_client.post("/v1/webhooks/livekit", content=body, headers=headers).status_code == 200
    [stop] = livekit_server.method_calls("StopEgress")
    assert stop.egress_id == recording["livekit_egress_id"]
    [event] = recording_stops(db, room)
    assert event.data["reason"] == "consent_missing" and event.data["participant_id"] == late.participant_id
    assert event.data["recording_id"] == recording["id"] and event.data["stopped_by"] is None


def test_a_consent_stop_that_livekit_fails_stores_nothing_and_the_redelivery_stops_it(
    client, webhook_client, sign_webhook, db, entity, staff, livekit_server, s3
):
    """LiveKit unreachable when a participant without recording consent joins: the webhook answers
    502 and stores nothing (no stop recorded while the egress still records), so LiveKit's redelivery of
    the same event stops the recording."""
    from meetings.secretary.webhooks.models import WebhookReceipt

    room, recording, _, event, body, headers = recording_then_a_late_refusal(
        client, sign_webhook, db, entity, staff, livekit_server
    )
    livekit_server.fail_next("StopEgress", status=503, code="unavailable")
    answer = webhook_client.post("/v1/webhooks/livekit", content=body, headers=headers)
    assert answer.status_code == 502 and answer.json()["error"]["code"] == "livekit_unavailable"
    db.expire_all()
    assert recording_stops(db, room) == [] and db.get(WebhookReceipt, event.id) is None

    redelivered = webhook_client.post("/v1/webhooks/livekit", content=body, headers=headers)
    assert redelivered.status_code == 200 and redelivered.json()["status"] == "processed"
    assert [stop.egress_id for stop in livekit_server.method_calls("StopEgress")] == [
        recording["livekit_egress_id"]
    ] * 2
    [stopped] = recording_stops(db, room)
    assert stopped.data["reason"] == "consent_missing" and stopped.data["recording_id"] == recording["id"]


def test_a_consent_stop_of_an_egress_livekit_already_ended_is_recorded(
    client, webhook_client, sign_webhook, db, entity, staff, livekit_server, s3
):
    room, recording, _, _, body, headers = recording_then_a_late_refusal(
        client, sign_webhook, db, entity, staff, livekit_server
    )
    livekit_server.fail_next("StopEgress", status=404, code="not_found")
    assert webhook_client.post("/v1/webhooks/livekit", content=body, headers=headers).status_code == 200
    [stopped] = recording_stops(db, room)
    assert stopped.data["recording_id"] == recording["id"] and stopped.data["reason"] == "consent_missing"
