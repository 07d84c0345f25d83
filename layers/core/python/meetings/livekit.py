"""A thin adapter over the LiveKit server API (`livekit.api.LiveKitAPI`) and local token minting.

Services depend on the `LiveKitGateway` protocol; `livekit_gateway()` builds the real adapter from the
settings. Every remote call is synchronous for the (sync) services: it runs the async client in a
fresh event loop and maps transport and server failures to `UpstreamUnavailable`. The LiveKit SDK (and
aiohttp, protobuf) load on first use: most requests never talk to LiveKit and skip their import cost.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Protocol, TypeVar

from fastapi import Depends
from pydantic import SecretStr

from meetings.errors import UpstreamUnavailable
from meetings.log import logger
from meetings.settings import get_settings

# Short: the server checks it only when a participant connects (see docs/decisions/livekit-token-lifetime.md).
ACCESS_TOKEN_TTL = timedelta(minutes=5)
REQUEST_TIMEOUT_SECONDS = 5
NOT_FOUND = "not_found"
# Seconds LiveKit keeps a room with nobody in it (before the first join and after the last leave).
EMPTY_TIMEOUT_SECONDS = 300
DEPARTURE_TIMEOUT_SECONDS = 60
# Webhook events about an egress (a recording), as LiveKit names them.
EGRESS_WEBHOOK_EVENTS = frozenset({"egress_started", "egress_updated", "egress_ended"})

if TYPE_CHECKING:
    from livekit import api

T = TypeVar("T")


class LiveKitGateway(Protocol):
    """What the meeting services need from LiveKit."""

    def create_room(self, *, name: str, max_participants: int) -> None: ...

    def delete_room(self, *, name: str) -> bool: ...

    def list_participant_identities(self, *, room_name: str) -> list[str]: ...

    def remove_participant(self, *, room_name: str, identity: str) -> bool: ...

    def update_participant_attributes(
        self, *, room_name: str, identity: str, attributes: dict[str, str]
    ) -> bool: ...

    def dispatch_agent(self, *, room_name: str, agent_name: str, metadata: str) -> str: ...

    def mint_access_token(
        self,
        *,
        room_name: str,
        identity: str,
        name: str,
        metadata: dict,
        attributes: dict[str, str],
        ttl: timedelta = ACCESS_TOKEN_TTL,
    ) -> str: ...

    def verify_access_token(self, token: str) -> api.access_token.Claims: ...


class LiveKitAdapter:
    """The real gateway: Twirp calls through `LiveKitAPI`, tokens signed with the API key and secret."""

    def __init__(self, *, url: str, api_key: str, api_secret: str) -> None:
        self.url = url
        self.api_key = api_key
        self._api_secret = SecretStr(api_secret)

    def __repr__(self) -> str:
        return f"LiveKitAdapter(url={self.url!r}, api_key={self.api_key!r})"

    def create_room(self, *, name: str, max_participants: int) -> None:
        """Creates the LiveKit room (returns the existing one if the name is taken)."""
        from livekit.protocol import room as proto_room

        request = proto_room.CreateRoomRequest(
            name=name,
            max_participants=max_participants,
            empty_timeout=EMPTY_TIMEOUT_SECONDS,
            departure_timeout=DEPARTURE_TIMEOUT_SECONDS,
        )
        self._call("CreateRoom", lambda lk: lk.room.create_room(request))

    def delete_room(self, *, name: str) -> bool:
        """Deletes a room, disconnecting everyone; False when LiveKit has no such room."""
        from livekit.protocol import room as proto_room

        request = proto_room.DeleteRoomRequest(room=name)
        return (
            self._call("DeleteRoom", lambda lk: lk.room.delete_room(request), tolerate_not_found=True)
            is not None
        )

    def list_participant_identities(self, *, room_name: str) -> list[str]:
        """Identities connected to a room (empty when the room does not exist)."""
        from livekit.protocol import room as proto_room

        request = proto_room.ListParticipantsRequest(room=room_name)
        answer = self._call(
            "ListParticipants", lambda lk: lk.room.list_participants(request), tolerate_not_found=True
        )
        return [p.identity for p in answer.participants] if answer is not None else []

    def remove_participant(self, *, room_name: str, identity: str) -> bool:
        """Disconnects one participant; False when they are not connected."""
        from livekit.protocol import room as proto_room

        request = proto_room.RoomParticipantIdentity(room=room_name, identity=identity)
        answer = self._call(
            "RemoveParticipant", lambda lk: lk.room.remove_participant(request), tolerate_not_found=True
        )
        return answer is not None

    def update_participant_attributes(
        self, *, room_name: str, identity: str, attributes: dict[str, str]
    ) -> bool:
        """Sets attributes on a connected participant (others see them at once); False when not connected."""
        from livekit.protocol import room as proto_room

        request = proto_room.UpdateParticipantRequest(
            room=room_name, identity=identity, attributes=attributes
        )
        answer = self._call(
            "UpdateParticipant", lambda lk: lk.room.update_participant(request), tolerate_not_found=True
        )
        return answer is not None

    def dispatch_agent(self, *, room_name: str, agent_name: str, metadata: str) -> str:
        """Dispatches the named agent to a room unless it already is; returns the dispatch id."""
        from livekit.protocol import agent_dispatch as proto_dispatch

        async def ensure(lk: api.LiveKitAPI) -> str:
            for dispatch in await lk.agent_dispatch.list_dispatch(room_name):
                if dispatch.agent_name == agent_name:
                    return dispatch.id
            request = proto_dispatch.CreateAgentDispatchRequest(
                agent_name=agent_name, room=room_name, metadata=metadata
            )
            return (await lk.agent_dispatch.create_dispatch(request)).id

        return self._call("CreateDispatch", ensure)

    def mint_access_token(
        self,
        *,
        room_name: str,
        identity: str,
        name: str,
        metadata: dict,
        attributes: dict[str, str],
        ttl: timedelta = ACCESS_TOKEN_TTL,
    ) -> str:
        """Signs a join token for one room (locally: no call to the server).

        No room admin and no changing one's own metadata or attributes: whatever needs more power (ending
        the meeting for everyone, removing someone) is authorised and done server-side.
        """
        from livekit import api

        grants = api.VideoGrants(
            room_join=True,
            room=room_name,
            can_update_own_metadata=False,
            can_publish=True,
            can_subscribe=True,
            can_publish_data=True,
        )
        return (
            api.AccessToken(self.api_key, self._api_secret.get_secret_value())
            .with_identity(identity)
            .with_name(name)
            .with_metadata(json.dumps(metadata))
            .with_attributes(attributes)
            .with_grants(grants)
            .with_ttl(ttl)
            .to_jwt()
        )

    def verify_access_token(self, token: str) -> api.access_token.Claims:
        """Verifies a token this platform minted; raises on a bad signature or expiry."""
        from livekit import api

        return api.TokenVerifier(self.api_key, self._api_secret.get_secret_value()).verify(token)

    def _call(
        self,
        operation: str,
        call: Callable[[api.LiveKitAPI], Awaitable[T]],
        *,
        tolerate_not_found: bool = False,
    ) -> T | None:
        import aiohttp
        from livekit import api

        async def run() -> T:
            async with open_livekit_api(self.url, self.api_key, self._api_secret.get_secret_value()) as lk:
                return await call(lk)

        try:
            return run_to_completion(run)
        except api.TwirpError as exc:
            if tolerate_not_found and exc.code == NOT_FOUND:
                return None
            logger.warning(
                "livekit call failed", extra={"operation": operation, "code": exc.code, "status": exc.status}
            )
            raise UpstreamUnavailable(
                "The meeting server refused the request.",
                code="livekit_error",
                details={"operation": operation},
            ) from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            logger.warning(
                "livekit unreachable", extra={"operation": operation, "error_type": type(exc).__name__}
            )
            raise UpstreamUnavailable(
                "The meeting server is unavailable.",
                code="livekit_unavailable",
                details={"operation": operation},
            ) from exc


def open_livekit_api(
    url: str,
    api_key: str,
    api_secret: str,
    *,
    timeout_seconds: float = REQUEST_TIMEOUT_SECONDS,
    failover: bool = True,
) -> api.LiveKitAPI:
    """A LiveKit server-API client with a bounded request time (use it as an async context manager)."""
    import aiohttp
    from livekit import api

    return api.LiveKitAPI(
        url, api_key, api_secret, timeout=aiohttp.ClientTimeout(total=timeout_seconds), failover=failover
    )


def run_to_completion(coroutine_function: Callable[[], Awaitable[T]]) -> T:
    """Runs a coroutine from sync code, in a worker thread if this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine_function())
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(lambda: asyncio.run(coroutine_function())).result()


def livekit_gateway() -> LiveKitGateway:
    """The gateway configured by the settings (cheap to build: one per request)."""
    settings = get_settings()
    return LiveKitAdapter(
        url=settings.livekit_url,
        api_key=settings.livekit_api_key,
        api_secret=settings.livekit_api_secret.get_secret_value(),
    )


async def get_livekit() -> LiveKitGateway:
    """The request's gateway; a coroutine, so that FastAPI does not hop to its threadpool to build it."""
    return livekit_gateway()


LiveKit = Annotated[LiveKitGateway, Depends(get_livekit)]
