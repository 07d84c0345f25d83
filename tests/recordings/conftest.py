from tests.recordings.support import committed, s3, s3_endpoint  # noqa: F401 (pytest fixtures)
from tests.support.fixtures import livekit_server, sign_webhook  # noqa: F401 (pytest fixtures)
