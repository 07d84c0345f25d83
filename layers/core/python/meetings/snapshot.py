"""Lambda SnapStart (decision 0020): the API functions' init phase runs once per published version, and
every cold start after it restores a snapshot of that process instead.

So the init phase does what every first request would otherwise do, as long as it holds nothing a
snapshot must not share (`prime`), and a restored process forgets what it may have kept from before the
snapshot (`forget_process_state`):
- database connections: a socket opened before the snapshot would be shared by every environment
  restored from it, so the engine and its pool are dropped (the first checkout opens a new one);
- secrets and credentials: the settings hold the secrets read when they were first needed, and the
  engine the IAM credentials it signs tokens with; a restored process reads both again, so a rotated
  secret reaches it;
- randomness: tokens, passwords and link secrets come from `secrets` and `os.urandom`, which read the
  kernel's generator at each call, so restored environments do not share them. (Userspace generators
  such as OpenSSL's, which TLS uses, may have been seeded before the snapshot; nothing of ours draws
  secrets from them.)

The hooks are registered with the runtime's `snapshot_restore_py` (python3.12 and later); where that
module is missing (`make run`, the tests unless they install it) nothing is registered, and where the
function has no SnapStart the runtime never calls them.
"""

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

# An API Gateway HTTP API (payload 2.0) request that no route serves: its answer is a 404.
WARM_UP_PATH = "/snapshot-warm-up"
WARM_UP_EVENT = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": WARM_UP_PATH,
    "rawQueryString": "",
    "headers": {"accept": "application/json", "host": "snapshot.invalid"},
    "requestContext": {
        "http": {"method": "GET", "path": WARM_UP_PATH, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
        "requestId": "snapshot-warm-up",
        "stage": "$default",
    },
    "isBase64Encoded": False,
}


def register_snapshot_hooks(handler: Callable[[dict, object], dict] | None = None) -> bool:
    """Registers `prime` (with a request of `handler`'s, if given) before the snapshot and
    `forget_process_state` after each restore; returns whether the runtime takes snapshot hooks."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(prime, handler)
    register_after_restore(forget_process_state)
    return True


def prime(handler: Callable[[dict, object], dict] | None = None) -> None:
    """The work of a first request that needs neither the database nor a secret: every route group of
    `handler`'s app (meetings.api.route_groups), so a restored process serves any path at once; the
    ORM's mapper configuration; and a request through `handler` to a path no route serves (the adapter,
    the app's middleware and its error answer, and what they import on first use). Any other answer
    than a 404 raises, which fails the version's publication instead of snapshotting a broken process."""
    from sqlalchemy.orm import configure_mappers

    if handler is not None:
        from meetings.api.route_groups import include_every_group

        include_every_group(getattr(handler, "app", None))
    configure_mappers()
    if handler is not None:
        status = handler(WARM_UP_EVENT, None).get("statusCode")
        if status != 404:
            raise RuntimeError(f"the snapshot's warm-up request answered {status}, not 404")
    forget_process_state(close_connections=True)  # should the init phase have connected or read a secret


def forget_process_state(*, close_connections: bool = False) -> None:
    """Drops the engine and its pool, the settings and their secrets, and the AWS clients, so that the
    next use builds them again in this process. After a restore the pooled connections are dropped,
    not closed: their sockets were the snapshot's and lead nowhere. (A cache keyed by a secret, such as
    the verified tokens', needs nothing: a rotated secret misses it.)"""
    from aws_lambda_powertools.utilities import parameters

    from meetings import db, settings, storage

    if db.get_engine.cache_info().currsize:
        db.get_engine().dispose(close=close_connections)
    for cached in (
        db.get_engine,
        db.session_factory,
        db._verified_engine,
        settings.get_settings,
        storage.s3_client,
    ):
        cached.cache_clear()
    parameters.clear_caches()
