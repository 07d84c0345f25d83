"""Webhook sweep Lambda: an EventBridge schedule (every minute) runs a pass that, for most of the
minute, leases due deliveries from the outbox and queues their ids on SQS for the dispatchers. The
scheduled event says nothing the pass needs, so it stays a dict: Powertools' event classes load all
of their kinds at import (about 25 ms of a cold start)."""

from meetings.init_phase import collector_paused

with collector_paused():
    import boto3
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from meetings.db import session_factory
    from meetings.db_scope import set_db_scope
    from meetings.log import logger, raises_without_values
    from meetings.notifications.queue import sweep
    from meetings.settings import get_settings

# Stop early enough that the next scheduled run does not overlap this one: with the 70 s timeout the
# last round starts by 50 s, and a round and its 2 s pause end well before the minute (a run still
# going would throttle the next, reserved concurrency being 1).
SAFETY_MARGIN_MILLIS = 20_000


@logger.inject_lambda_context
@raises_without_values
def handler(event: dict, context: LambdaContext) -> dict:
    settings = get_settings()
    with set_db_scope(session_factory()(), "jobs") as db:
        report = sweep(
            db=db,
            sqs=boto3.client("sqs", region_name=settings.aws_region),
            queue_url=settings.webhook_queue_url,
            keep_going=lambda: context.get_remaining_time_in_millis() > SAFETY_MARGIN_MILLIS,
        )
    return {"rounds": report.rounds, "queued": report.queued}
