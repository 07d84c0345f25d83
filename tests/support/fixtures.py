"""pytest fixtures for LiveKit, registered for every test by the root conftest's `pytest_plugins`.

- `livekit_server`: a started `LiveKitStandIn`; the settings point at it for the test (env LIVEKIT_URL,
  LIVEKIT_API_KEY, LIVEKIT_API_SECRET, then `get_settings.cache_clear()`, undone afterwards).
- `sign_webhook`: `sign_webhook(event) -> (body, headers)` signed with the stand-in's key and secret.
"""

from collections.abc import Callable, Iterator

import pytest

from devserver.livekit_api import LiveKitStandIn
from devserver.livekit_webhooks import signed_webhook

TEST_API_KEY = "test-api-key"
TEST_API_SECRET = "test-api-secret-0123456789abcdef0123"


@pytest.fixture
def livekit_server() -> Iterator[LiveKitStandIn]:
    from meetings.settings import get_settings

    server = LiveKitStandIn(api_key=TEST_API_KEY, api_secret=TEST_API_SECRET).start()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LIVEKIT_URL", server.url)
        env.setenv("LIVEKIT_API_KEY", TEST_API_KEY)
        env.setenv("LIVEKIT_API_SECRET", TEST_API_SECRET)
        get_settings.cache_clear()
        try:
            yield server
        finally:
            server.stop()
    get_settings.cache_clear()


@pytest.fixture
def sign_webhook(livekit_server: LiveKitStandIn) -> Callable:
    def sign(event) -> tuple[str, dict[str, str]]:
        return signed_webhook(event, api_key=livekit_server.api_key, api_secret=livekit_server.api_secret)

    return sign
