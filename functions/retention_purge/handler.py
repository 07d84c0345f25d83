"""Retention purge Lambda: an EventBridge schedule runs one purge pass, stopping before its time runs out.
The scheduled event is read as a dict: Powertools' event classes load all of their kinds at import
(about 25 ms of a cold start), for two fields."""

from meetings.init_phase import collector_paused

with collector_paused():
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from meetings.db import session_factory
    from meetings.db_scope import set_db_scope
    from meetings.log import logger, raises_without_values
    from meetings.secretary.recordings.purge import purge_due_recordings
    from meetings.secretary.retention.purge import purge_due_room_content
    from meetings.settings import get_settings
    from meetings.storage import s3_client

# A batch (lock, list versions, DeleteObjects, update) must fit in what is left when it starts.
SAFETY_MARGIN_MILLIS = 30_000


@logger.inject_lambda_context
@raises_without_values
def handler(event: dict, context: LambdaContext) -> dict:
    logger.info(
        "retention purge run",
        extra={"schedule_event_id": event.get("id"), "scheduled_time": event.get("time")},
    )
    with set_db_scope(session_factory()(), "jobs") as db:
        report = purge_due_recordings(
            db=db,
            s3=s3_client(),
            batch_size=get_settings().purge_batch_size,
            keep_going=lambda: context.get_remaining_time_in_millis() > SAFETY_MARGIN_MILLIS,
        )
        content = purge_due_room_content(
            db=db, keep_going=lambda: context.get_remaining_time_in_millis() > SAFETY_MARGIN_MILLIS
        )
    return {**report.as_dict(), "room_content": content.as_dict()}
