"""`make run`'s stand-in for the webhook sweep and dispatcher Lambdas: a background thread runs the
same dispatch pass (lease, sign, send, record) every second."""

import threading

from devserver.s3_events import start_poller
from meetings.db import session_factory
from meetings.db_scope import set_db_scope
from meetings.notifications.dispatch import dispatch_due

DISPATCH_EVERY_SECONDS = 1.0


def start_local_webhook_dispatcher(*, every: float = DISPATCH_EVERY_SECONDS) -> threading.Event:
    """Starts the loop on a daemon thread; set the returned event to stop it."""
    stop = threading.Event()

    def each_round() -> None:
        with set_db_scope(session_factory()(), "jobs") as db:
            while dispatch_due(db=db).claimed:
                pass

    start_poller(name="local-webhook-dispatcher", interval=every, each_round=each_round, stop=stop)
    return stop
