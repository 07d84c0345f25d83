"""The LiveKit adapter against the Twirp stand-in: real protobuf requests, grants, and failures."""

import json

import httpx
import pytest
from livekit.api import AccessToken, TokenVerifier, VideoGrants
from livekit.protocol import room as proto_room

from meetings.errors import UpstreamUnavailable
from meetings.livekit import LiveKitAdapter, livekit_gateway


def test_room_lifecycle_calls_carry_the_right_requests(livekit_server):
    livekit = livekit_gateway()
    livekit.create_room(name="meeting-a", max_participants=5)
    livekit.create_room(name="meeting-a", max_participants=5)  # idempotent
    created = livekit_server.method_calls("CreateRoom")[0]
    assert created.name == "meeting-a" and created.max_participants == 5 and created.empty_timeout > 0
    assert list(livekit_server.rooms) == ["meeting-a"]
    livekit_server.add_participant("meeting-a", "participant-1")
    assert livekit.list_participant_identities(room_name="meeting-a") == ["participant-1"]
    assert livekit.remove_participant(room_name="meeting-a", identity="participant-1") is True
    assert livekit.remove_participant(room_name="meeting-a", identity="participant-1") is False
    assert livekit.delete_room(name="meeting-a") is True
    assert livekit.delete_room(name="meeting-a") is False
    assert livekit.list_participant_identities(room_name="meeting-a") == []


def test_agent_dispatch_is_idempotent_per_agent(livekit_server):
    livekit = livekit_gateway()
    first = livekit.dispatch_agent(
        room_name="meeting-b", agent_name="meeting-assistant", metadata='{"room_id": "b"}'
    )
    again = livekit.dispatch_agent(
        room_name="meeting-b", agent_name="meeting-assistant", metadata='{"room_id": "b"}'
    )
    assert first == again
    assert len(livekit_server.method_calls("CreateDispatch")) == 1
    assert json.loads(livekit_server.dispatches[first].metadata) == {"room_id": "b"}


def test_the_stand_in_refuses_wrong_keys_and_missing_grants(livekit_server):
    wrong = LiveKitAdapter(
        url=livekit_server.url,
        api_key=livekit_server.api_key,
        api_secret="not-the-secret-0123456789abcdef-0123",
    )
    with pytest.raises(UpstreamUnavailable) as refused:
        wrong.create_room(name="meeting-c", max_participants=2)
    assert refused.value.code == "livekit_error"
    assert livekit_server.rooms == {}

    def post(grants: VideoGrants, room: str) -> httpx.Response:
        token = AccessToken(livekit_server.api_key, livekit_server.api_secret).with_grants(grants).to_jwt()
        return httpx.post(
            f"{livekit_server.url}/twirp/livekit.RoomService/ListParticipants",
            content=proto_room.ListParticipantsRequest(room=room).SerializeToString(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/protobuf"},
        )

    livekit_server.ensure_room("meeting-c")
    assert post(VideoGrants(room_list=True), "meeting-c").json()["code"] == "permission_denied"
    other_room = post(VideoGrants(room_admin=True, room="meeting-x"), "meeting-c")
    assert other_room.status_code == 403
    allowed = post(VideoGrants(room_admin=True, room="meeting-c"), "meeting-c")
    assert allowed.status_code == 200 and allowed.headers["content-type"] == "application/protobuf"


def test_failures_become_upstream_errors(livekit_server):
    livekit = livekit_gateway()
    livekit_server.fail_next("CreateRoom", status=500, code="internal")
    with pytest.raises(UpstreamUnavailable):
        livekit.create_room(name="meeting-d", max_participants=2)
    unreachable = LiveKitAdapter(url="http://127.0.0.1:9", api_key="k", api_secret="s" * 32)
    with pytest.raises(UpstreamUnavailable) as down:
        unreachable.delete_room(name="meeting-d")
    assert down.value.code == "livekit_unavailable"


def test_access_tokens_verify_with_the_grants_asked_for(livekit_server):
    livekit = livekit_gateway()
    token = livekit.mint_access_token(
        room_name="meeting-e",
        identity="participant-9",
        name="Ana",
        metadata={"participant_id": 9},
        attributes={"participant_id": "9"},
    )
    claims = TokenVerifier(livekit_server.api_key, livekit_server.api_secret).verify(token)
    assert claims.video.room == "meeting-e" and claims.video.room_join and not claims.video.room_admin
    assert livekit.verify_access_token(token).identity == "participant-9"


def test_calls_work_from_inside_a_running_event_loop(livekit_server):
    import asyncio
    import threading

    async def inside_a_loop() -> None:
        livekit_gateway().create_room(name="meeting-f", max_participants=2)

    caller = threading.Thread(target=lambda: asyncio.run(inside_a_loop()))  # a thread of its own loop
    caller.start()
    caller.join()
    assert "meeting-f" in livekit_server.rooms
