"""Webhook dispatcher Lambda: SQS (one message of up to ten delivery ids per invocation) → signed POSTs.

An error leaves the message on the queue for another try (and, after five, in the dead-letter queue,
which raises an alarm); the deliveries themselves stay in the database and are swept again.
"""

from meetings.init_phase import collector_paused

with collector_paused():
    from aws_lambda_powertools.utilities.data_classes import SQSEvent, event_source
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from meetings.db import session_factory
    from meetings.db_scope import set_db_scope
    from meetings.log import logger, raises_without_values
    from meetings.notifications.dispatch import dispatch_message


@logger.inject_lambda_context
@raises_without_values
@event_source(data_class=SQSEvent)
def handler(event: SQSEvent, context: LambdaContext) -> dict:
    totals = {"claimed": 0, "succeeded": 0, "failed": 0}
    with set_db_scope(session_factory()(), "jobs") as db:
        for record in event.records:
            report = dispatch_message(db=db, body=record.body)
            totals["claimed"] += report.claimed
            totals["succeeded"] += report.succeeded
            totals["failed"] += report.failed
    return totals
