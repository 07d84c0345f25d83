"""Recording finalizer Lambda: S3 ObjectCreated under recordings/ → the recording becomes READY."""

from meetings.init_phase import collector_paused

with collector_paused():
    from urllib.parse import unquote_plus

    from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from meetings.db import session_factory
    from meetings.db_scope import set_db_scope
    from meetings.log import logger, raises_without_values
    from meetings.secretary.recordings.finalize import StoredObject, finalize_recording_objects
    from meetings.storage import s3_client


def created_objects(event: S3Event) -> list[StoredObject]:
    """The created objects an S3 notification names (keys arrive URL-encoded; a test event has none)."""
    if not event.get("Records"):
        return []
    return [
        StoredObject(
            bucket=record.s3.bucket.name,
            key=unquote_plus(record.s3.get_object.key),
            size=record.s3.get_object.get("size"),
            version_id=record.s3.get_object.version_id,
        )
        for record in event.records
        if record.event_name.startswith("ObjectCreated:")
    ]


@logger.inject_lambda_context
@raises_without_values
@event_source(data_class=S3Event)
def handler(event: S3Event, context: LambdaContext) -> dict:
    objects = created_objects(event)
    with set_db_scope(session_factory()(), "jobs") as db:
        results = finalize_recording_objects(db=db, s3=s3_client(), objects=objects)
        db.commit()
    return {"objects": len(objects), "finalized": sum(result is not None for result in results)}
