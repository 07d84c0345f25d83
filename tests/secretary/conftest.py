from tests.support.fixtures import livekit_server, sign_webhook  # noqa: F401 (pytest fixtures)
