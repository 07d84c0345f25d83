"""LiveKit webhooks: signature checks, idempotency on event.id, reordering, attendance and status."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from livekit.protocol import egress as proto_egress

from devserver.livekit_webhooks import signed_webhook, webhook_event
from meetings.secretary.events.models import RoomEvent
from meetings.secretary.rooms.models import RoomStatus
from meetings.secretary.webhooks.models import WebhookReceipt
from tests.factories import make_room
from tests.secretary.helpers import add_to_room

URL = "/v1/webhooks/livekit"


@pytest.fixture
def deliver(webhook_client, sign_webhook):
    def send(event):
        body, headers = sign_webhook(event)
        return webhook_client.post(URL, content=body, headers=headers)

    return send


def events(db, room) -> list[RoomEvent]:
    return db.query(RoomEvent).filter_by(room_id=room.id).order_by(RoomEvent.id).all()


def identity(room_participant) -> str:
    return f"participant-{room_participant.participant_id}"


def test_a_signed_event_is_processed_once(deliver, db):
    room = make_room(db)
    event = webhook_event("room_started", room_name=room.livekit_room_id)
    first = deliver(event)
    assert first.status_code == 200, first.text
    assert first.json() == {"status": "processed", "event_id": event.id}
    assert deliver(event).json()["status"] == "duplicate"
    db.refresh(room)
    assert room.status == RoomStatus.ACTIVE
    assert [e.event_name for e in events(db, room)] == ["ROOM_STARTED"]
    receipt = db.get(WebhookReceipt, event.id)
    assert receipt.event_name == "room_started" and receipt.room_name == room.livekit_room_id


def test_bad_signatures_are_401(webhook_client, livekit_server, db):
    room = make_room(db)
    event = webhook_event("room_started", room_name=room.livekit_room_id)
    body, headers = signed_webhook(
        event, api_key=livekit_server.api_key, api_secret=livekit_server.api_secret
    )
    wrong_secret = signed_webhook(event, api_key=livekit_server.api_key, api_secret="x" * 40)[1]
    tampered = body.replace("room_started", "room_finished")
    for sent_body, sent_headers in [
        (body, {}),
        (body, {"Authorization": "not-a-jwt"}),
        (body, wrong_secret),
        (tampered, headers),
        (body, {"Authorization": f"Bearer {headers['Authorization']}"}),
    ]:
        answer = webhook_client.post(URL, content=sent_body, headers=sent_headers)
        assert answer.status_code == 401, sent_headers
        assert answer.json()["error"]["code"] == "invalid_signature"
    db.refresh(room)
    assert room.status == RoomStatus.SCHEDULED
    assert db.get(WebhookReceipt, event.id) is None


def test_an_expired_signature_is_refused(webhook_client, livekit_server, db):
    import base64
    import hashlib

    import jwt

    event = webhook_event("room_started", room_name=make_room(db).livekit_room_id)
    body, _ = signed_webhook(event, api_key=livekit_server.api_key, api_secret=livekit_server.api_secret)
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    hour_ago = int(time.time()) - 3600
    replayed = jwt.encode(
        {"iss": livekit_server.api_key, "sha256": digest, "nbf": hour_ago - 300, "exp": hour_ago},
        livekit_server.api_secret,
        algorithm="HS256",
    )
    assert webhook_client.post(URL, content=body, headers={"Authorization": replayed}).status_code == 401


def test_participant_joined_and_left_track_attendance(deliver, db):
    room = make_room(db, status=RoomStatus.ACTIVE)
    stays, leaves = add_to_room(db, room), add_to_room(db, room)
    now = int(time.time())
    for link in (stays, leaves):
        deliver(
            webhook_event(
                "participant_joined", room_name=room.livekit_room_id, identity=identity(link), created_at=now
            )
        )
    deliver(
        webhook_event(
            "participant_left", room_name=room.livekit_room_id, identity=identity(leaves), created_at=now + 5
        )
    )
    db.refresh(stays), db.refresh(leaves), db.refresh(room)
    assert stays.joined_at == datetime.fromtimestamp(now, UTC) and stays.left_at is None
    assert leaves.left_at == datetime.fromtimestamp(now + 5, UTC)
    assert room.status == RoomStatus.ACTIVE  # someone is still there
    logged = [(e.event_name, e.data["participant_id"]) for e in events(db, room)]
    assert logged == [
        ("PARTICIPANT_JOINED", stays.participant_id),
        ("PARTICIPANT_JOINED", leaves.participant_id),
        ("PARTICIPANT_LEFT", leaves.participant_id),
    ]


def test_the_last_human_leaving_completes_the_room(deliver, db):
    room = make_room(db, status=RoomStatus.ACTIVE)
    link = add_to_room(db, room)
    now = int(time.time())
    deliver(
        webhook_event(
            "participant_joined", room_name=room.livekit_room_id, identity=identity(link), created_at=now
        )
    )
    deliver(
        webhook_event(
            "participant_joined",
            room_name=room.livekit_room_id,
            identity="agent-AJ_1",
            agent=True,
            created_at=now,
        )
    )
    deliver(
        webhook_event(
            "participant_left", room_name=room.livekit_room_id, identity=identity(link), created_at=now + 60
        )
    )
    db.refresh(room)
    assert room.status == RoomStatus.COMPLETED
    assert room.ended_at == datetime.fromtimestamp(now + 60, UTC)
    ended = events(db, room)[-1]
    assert ended.event_name == "ROOM_ENDED" and ended.data["reason"] == "last_participant_left"


def test_a_late_joined_does_not_reopen_a_seat(deliver, db):
    room = make_room(db, status=RoomStatus.ACTIVE)
    link, other = add_to_room(db, room), add_to_room(db, room, joined_at=datetime.now(UTC))
    now = int(time.time())
    deliver(
        webhook_event(
            "participant_left", room_name=room.livekit_room_id, identity=identity(link), created_at=now
        )
    )
    deliver(
        webhook_event(
            "participant_joined", room_name=room.livekit_room_id, identity=identity(link), created_at=now - 30
        )
    )
    db.refresh(link)
    assert link.left_at == datetime.fromtimestamp(now, UTC)
    assert [e.data["applied"] for e in events(db, room)] == [True, False]
    assert other


def test_a_late_left_does_not_close_a_newer_join(deliver, db):
    room = make_room(db, status=RoomStatus.ACTIVE)
    now = int(time.time())
    link = add_to_room(db, room, joined_at=datetime.fromtimestamp(now, UTC))
    deliver(
        webhook_event(
            "participant_left", room_name=room.livekit_room_id, identity=identity(link), created_at=now - 120
        )
    )
    db.refresh(link), db.refresh(room)
    assert link.left_at is None and room.status == RoomStatus.ACTIVE


def test_room_finished_completes_and_a_late_room_started_changes_nothing(deliver, db):
    room = make_room(db, status=RoomStatus.ACTIVE)
    now = int(time.time())
    deliver(webhook_event("room_finished", room_name=room.livekit_room_id, created_at=now))
    deliver(webhook_event("room_started", room_name=room.livekit_room_id, created_at=now - 600))
    db.refresh(room)
    assert room.status == RoomStatus.COMPLETED
    assert [e.event_name for e in events(db, room)] == ["ROOM_ENDED"]


def test_participant_joined_first_starts_a_scheduled_room(deliver, db):
    room = make_room(db)
    link = add_to_room(db, room)
    deliver(webhook_event("participant_joined", room_name=room.livekit_room_id, identity=identity(link)))
    db.refresh(room), db.refresh(link)
    assert room.status == RoomStatus.ACTIVE and room.started_at is not None
    assert link.context["connected"] is True
    assert [e.event_name for e in events(db, room)] == ["PARTICIPANT_JOINED", "ROOM_STARTED"]


def test_events_for_unknown_rooms_or_identities_are_ignored(deliver, db):
    assert deliver(webhook_event("room_started", room_name="meeting-unknown")).json()["status"] == "ignored"
    room = make_room(db, status=RoomStatus.ACTIVE)
    answer = deliver(
        webhook_event("participant_joined", room_name=room.livekit_room_id, identity="participant-999999999")
    )
    assert answer.json()["status"] == "processed" and events(db, room) == []
    assert (
        deliver(webhook_event("track_published", room_name=room.livekit_room_id)).json()["status"]
        == "ignored"
    )


def test_egress_events_go_to_the_recordings_handler(deliver, db, monkeypatch):
    import meetings.secretary.recordings.webhook as recordings_webhook

    received = []
    monkeypatch.setattr(
        recordings_webhook,
        "handle_egress_event",
        lambda *, db, event: received.append(event.egress_info.egress_id),
    )
    info = proto_egress.EgressInfo(
        egress_id="EG_test", room_name="meeting-x", status=proto_egress.EGRESS_COMPLETE
    )
    event = webhook_event("egress_ended", room_name="meeting-x", egress_info=info)
    assert deliver(event).json()["status"] == "processed"
    assert deliver(event).json()["status"] == "duplicate"
    assert received == ["EG_test"]


def test_receipt_keeps_the_event_time(deliver, db):
    at = int(time.time()) - 3600
    event = webhook_event("room_finished", room_name="meeting-gone", created_at=at)
    deliver(event)
    assert db.get(WebhookReceipt, event.id).event_created_at == datetime.fromtimestamp(at, UTC)
    assert db.get(WebhookReceipt, event.id).received_at - datetime.now(UTC) < timedelta(minutes=1)


# ---- removal and ending enforced -----------------------------------------------------------------


def test_a_removed_participant_who_connects_again_is_removed(deliver, db, livekit_server, caplog):
    room = make_room(db, status=RoomStatus.ACTIVE)
    link = add_to_room(db, room)
    removed = identity(link)
    db.delete(link)
    db.flush()
    livekit_server.add_participant(room.livekit_room_id, removed)

    answer = deliver(webhook_event("participant_joined", room_name=room.livekit_room_id, identity=removed))

    assert answer.json()["status"] == "processed"
    assert removed not in livekit_server.participants[room.livekit_room_id]
    removals = [r for r in livekit_server.method_calls("RemoveParticipant") if r.room == room.livekit_room_id]
    assert [r.identity for r in removals] == [removed]
    assert events(db, room) == []  # not recorded as attendance
    assert "participant no longer in the room connected; removed" in caplog.text


def test_a_participant_still_in_the_room_is_not_removed(deliver, db, livekit_server):
    room = make_room(db, status=RoomStatus.ACTIVE)
    link = add_to_room(db, room)
    livekit_server.add_participant(room.livekit_room_id, identity(link))
    deliver(webhook_event("participant_joined", room_name=room.livekit_room_id, identity=identity(link)))
    assert identity(link) in livekit_server.participants[room.livekit_room_id]


@pytest.mark.parametrize("status", [RoomStatus.COMPLETED, RoomStatus.CANCELED])
@pytest.mark.parametrize("kind", ["participant_joined", "room_started"])
def test_a_finished_room_that_livekit_recreates_is_deleted_again(deliver, db, livekit_server, status, kind):
    room = make_room(db, status=status)
    link = add_to_room(db, room)
    livekit_server.add_participant(room.livekit_room_id, identity(link))  # connected with a valid token

    answer = deliver(webhook_event(kind, room_name=room.livekit_room_id, identity=identity(link)))

    assert answer.json()["status"] == "processed"
    assert room.livekit_room_id not in livekit_server.rooms
    assert [r.room for r in livekit_server.method_calls("DeleteRoom")].count(room.livekit_room_id) == 1
    db.refresh(room), db.refresh(link)
    assert room.status == status and link.joined_at is None


def test_a_join_older_than_the_end_arriving_late_does_not_delete_the_room(deliver, db, livekit_server):
    room = make_room(db, status=RoomStatus.ACTIVE)
    link = add_to_room(db, room)
    now = int(time.time())
    deliver(webhook_event("room_finished", room_name=room.livekit_room_id, created_at=now))
    deliver(
        webhook_event(
            "participant_joined",
            room_name=room.livekit_room_id,
            identity=identity(link),
            created_at=now - 120,
        )
    )
    assert room.livekit_room_id not in [r.room for r in livekit_server.method_calls("DeleteRoom")]
