"""Public joins with a magic link: the link's answers, every refusal, capacity and ending from inside."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from livekit.api import AccessToken, TokenVerifier, VideoGrants

from meetings.meeting_protocol import room_id_from_dispatch_metadata
from meetings.secretary.events.models import RoomEvent
from meetings.secretary.participants.models import ParticipantType
from meetings.secretary.rooms.models import RoomStatus
from tests.factories import later, make_participant, make_room
from tests.secretary.helpers import JOIN_PASSWORD, add_to_room
from tests.support.fixtures import TEST_API_KEY, TEST_API_SECRET


def join(client, room_participant, password=JOIN_PASSWORD):
    return client.post(f"/v1/join/{room_participant.token}", json={"password": password})


def events(db, room) -> list[str]:
    return [e.event_name for e in db.query(RoomEvent).filter_by(room_id=room.id).order_by(RoomEvent.id)]


def test_get_describes_the_link(client, db, entity):
    room = make_room(db, entity=entity, description="Exam review")
    link = add_to_room(db, room, is_organizer=True)
    answer = client.get(f"/v1/join/{link.token}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["room"]["id"] == room.id and body["room"]["status"] == "SCHEDULED"
    assert body["room"]["description"] == "Exam review"
    opens_at = datetime.fromisoformat(body["room"]["join_opens_at"])
    assert opens_at == room.scheduled_at - timedelta(minutes=15)
    assert body["participant"]["is_organizer"] is True and body["participant"]["type"] == "CLIENT"
    assert body["attempts_left"] == 5 and body["locked_until"] is None
    assert "password" not in answer.text and "token" not in body


def test_get_answers_canceled_rooms_with_their_status(client, db):
    link = add_to_room(db, make_room(db, status=RoomStatus.CANCELED))
    assert client.get(f"/v1/join/{link.token}").json()["room"]["status"] == "CANCELED"


@pytest.mark.parametrize("token", [str(uuid.uuid4()), "not-a-uuid", str(uuid.uuid4()).upper(), "' OR 1=1 --"])
def test_unknown_or_malformed_links_are_404(client, token):
    for answer in (
        client.get(f"/v1/join/{token}"),
        client.post(f"/v1/join/{token}", json={"password": JOIN_PASSWORD}),
    ):
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "link_not_found"


def test_expired_links_are_410(client, db):
    link = add_to_room(db, make_room(db), magic_link_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert client.get(f"/v1/join/{link.token}").json()["error"]["code"] == "link_expired"
    answer = join(client, link)
    assert answer.status_code == 410 and answer.json()["error"]["code"] == "link_expired"


def test_join_answers_a_token_livekit_accepts_with_the_right_grants(client, db, livekit_server):
    room = make_room(db)
    link = add_to_room(db, room, participant=make_participant(db, name="Maria"))
    answer = join(client, link)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["livekit_url"] == livekit_server.url
    assert body["identity"] == f"participant-{link.participant_id}"
    assert body["room_name"] == room.livekit_room_id and body["participant_name"] == "Maria"
    assert body["is_organizer"] is False and body["expires_in"] == 300
    claims = TokenVerifier(TEST_API_KEY, TEST_API_SECRET).verify(body["access_token"])
    assert claims.identity == body["identity"] and claims.name == "Maria"
    assert claims.video.room_join and claims.video.room == room.livekit_room_id
    assert not claims.video.room_admin
    assert claims.attributes == {
        "participant_id": str(link.participant_id),
        "participant_type": "CLIENT",
        "room_id": room.id,
        "is_organizer": "false",
        "consent_recording": "false",  # no consent sent: none to either
        "consent_assistant": "false",
    }
    import json

    assert json.loads(claims.metadata) == {"participant_id": link.participant_id, "room_id": room.id}


def test_no_token_carries_room_admin_not_even_the_organizers(client, db):
    """roomAdmin would let a CLIENT organizer rewrite anyone's attributes; ending is authorised
    server-side instead."""
    link = add_to_room(db, make_room(db), is_organizer=True)
    body = join(client, link).json()
    claims = TokenVerifier(TEST_API_KEY, TEST_API_SECRET).verify(body["access_token"])
    assert not claims.video.room_admin and not claims.video.can_update_own_metadata
    assert claims.attributes["is_organizer"] == "true" and body["is_organizer"] is True


def test_first_join_starts_the_room_and_dispatches_the_agent_once(client, db, livekit_server):
    room = make_room(db)
    first, second = add_to_room(db, room), add_to_room(db, room)
    assert join(client, first).status_code == 200
    db.refresh(room)
    assert room.status == RoomStatus.ACTIVE and room.started_at is not None
    assert [r.name for r in livekit_server.method_calls("CreateRoom")] == [room.livekit_room_id]
    dispatch = livekit_server.method_calls("CreateDispatch")[0]
    assert dispatch.agent_name == "meeting-assistant" and dispatch.room == room.livekit_room_id
    assert room_id_from_dispatch_metadata(dispatch.metadata) == room.id
    assert join(client, second).status_code == 200
    assert len(livekit_server.method_calls("CreateDispatch")) == 1
    assert events(db, room) == ["ROOM_STARTED"]
    db.refresh(first)
    assert first.joined_at is not None and first.left_at is None


def test_a_failed_activation_leaves_the_room_scheduled(client, db, livekit_server):
    room = make_room(db)
    livekit_server.fail_next("CreateRoom", status=503, code="unavailable")
    answer = join(client, add_to_room(db, room))
    assert answer.status_code == 502 and answer.json()["error"]["code"] == "livekit_error"
    db.refresh(room)
    assert room.status == RoomStatus.SCHEDULED


@pytest.mark.parametrize(
    ("status", "code"), [(RoomStatus.CANCELED, "room_canceled"), (RoomStatus.COMPLETED, "room_completed")]
)
def test_closed_rooms_refuse_joins(client, db, status, code):
    answer = join(client, add_to_room(db, make_room(db, status=status)))
    assert answer.status_code == 409 and answer.json()["error"]["code"] == code


def test_joining_too_early_is_refused_with_the_opening_time(client, db):
    room = make_room(db, scheduled_at=later(minutes=16))
    answer = join(client, add_to_room(db, room))
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "too_early"
    assert datetime.fromisoformat(
        answer.json()["error"]["details"]["opens_at"]
    ) == room.scheduled_at - timedelta(minutes=15)
    inside = make_room(db, scheduled_at=later(minutes=14))
    assert join(client, add_to_room(db, inside)).status_code == 200


@pytest.mark.parametrize("password", ["1234567", "123456789", "abcdefgh", "", "1234 678"])
def test_password_must_be_8_digits(client, db, password):
    answer = join(client, add_to_room(db, make_room(db)), password=password)
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == "password"


def test_five_wrong_passwords_lock_the_link_for_15_minutes(client, db):
    link = add_to_room(db, make_room(db))
    for attempts_left in (4, 3, 2, 1):
        answer = join(client, link, password="00000000")
        assert answer.status_code == 401
        assert answer.json()["error"] == {
            "code": "invalid_password",
            "message": "Wrong password.",
            "details": {"attempts_left": attempts_left},
        }
    locked = join(client, link, password="00000000")
    assert locked.status_code == 423 and locked.json()["error"]["code"] == "link_locked"
    locked_until = datetime.fromisoformat(locked.json()["error"]["details"]["locked_until"])
    assert timedelta(minutes=14) < locked_until - datetime.now(UTC) <= timedelta(minutes=15)
    assert join(client, link).status_code == 423  # even the right password while locked
    info = client.get(f"/v1/join/{link.token}").json()
    assert info["attempts_left"] == 0 and info["locked_until"] is not None


def test_an_expired_lock_gives_five_new_attempts(client, db):
    link = add_to_room(
        db, make_room(db), failed_attempts=5, locked_until=datetime.now(UTC) - timedelta(seconds=1)
    )
    assert client.get(f"/v1/join/{link.token}").json()["attempts_left"] == 5
    assert join(client, link, password="00000000").json()["error"]["details"] == {"attempts_left": 4}
    assert join(client, link).status_code == 200
    db.refresh(link)
    assert link.failed_attempts == 0


def test_a_full_room_refuses_and_logs_capacity_reached(client, db):
    room = make_room(db, max_participants=2)
    links = [add_to_room(db, room) for _ in range(3)]
    assert [join(client, link).status_code for link in links[:2]] == [200, 200]
    full = join(client, links[2])
    assert full.status_code == 409 and full.json()["error"]["code"] == "room_full"
    assert "CAPACITY_REACHED" in events(db, room)
    assert join(client, links[0]).status_code == 200  # a rejoin keeps its seat


def test_a_seat_is_freed_when_its_holder_leaves_or_never_connects(client, db):
    room = make_room(db, max_participants=2)
    add_to_room(db, room, joined_at=datetime.now(UTC))  # holds one of the two seats
    gone = add_to_room(
        db, room, joined_at=datetime.now(UTC) - timedelta(minutes=5), left_at=datetime.now(UTC)
    )
    stale = add_to_room(db, room, joined_at=datetime.now(UTC) - timedelta(minutes=11))  # token expired unused
    assert gone and stale
    assert join(client, add_to_room(db, room)).status_code == 200


def test_a_confirmed_connection_keeps_its_seat_past_the_token_lifetime(client, db):
    room = make_room(db, max_participants=2)
    add_to_room(db, room, joined_at=datetime.now(UTC))
    add_to_room(db, room, joined_at=datetime.now(UTC) - timedelta(hours=1), context={"connected": True})
    assert join(client, add_to_room(db, room)).json()["error"]["code"] == "room_full"


def test_organizer_ends_the_meeting_with_their_access_token(client, db, livekit_server):
    room = make_room(db)
    organizer = add_to_room(db, room, is_organizer=True)
    guest = add_to_room(db, room)
    organizer_token = join(client, organizer).json()["access_token"]
    guest_token = join(client, guest).json()["access_token"]
    end = f"/v1/join/{organizer.token}/end"
    assert client.post(end).status_code == 401
    assert client.post(end, headers={"Authorization": "Bearer garbage"}).status_code == 401
    forged = AccessToken(TEST_API_KEY, "another-secret-of-sufficient-length").with_identity(
        f"participant-{organizer.participant_id}"
    )
    forged = forged.with_grants(
        VideoGrants(room_join=True, room=room.livekit_room_id, room_admin=True)
    ).to_jwt()
    assert client.post(end, headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    as_guest = client.post(f"/v1/join/{guest.token}/end", headers={"Authorization": f"Bearer {guest_token}"})
    assert as_guest.status_code == 403 and as_guest.json()["error"]["code"] == "not_organizer"
    stolen = client.post(
        f"/v1/join/{guest.token}/end", headers={"Authorization": f"Bearer {organizer_token}"}
    )
    assert stolen.status_code == 403
    answer = client.post(end, headers={"Authorization": f"Bearer {organizer_token}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "COMPLETED"
    assert [c.room for c in livekit_server.method_calls("DeleteRoom")] == [room.livekit_room_id]
    assert join(client, guest).json()["error"]["code"] == "room_completed"


def test_agent_participants_can_be_in_rooms_too(client, db):
    agent = make_participant(db, type=ParticipantType.AGENT)
    assert join(client, add_to_room(db, make_room(db), participant=agent)).status_code == 200


def test_ending_for_all_is_decided_by_the_database_not_the_token(client, db, livekit_server):
    """No token carries roomAdmin: an organizer demoted after joining can no longer end the meeting."""
    room = make_room(db)
    organizer = add_to_room(db, room, is_organizer=True)
    token = join(client, organizer).json()["access_token"]
    organizer.is_organizer = False
    db.flush()
    answer = client.post(f"/v1/join/{organizer.token}/end", headers={"Authorization": f"Bearer {token}"})
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "not_organizer")
