"""Knowledge-base ingestion Lambda: S3 ObjectCreated under kb/ → the document's chunks are (re)built."""

from meetings.init_phase import collector_paused

with collector_paused():
    from urllib.parse import unquote_plus

    from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from meetings.db import session_factory
    from meetings.db_scope import set_db_scope
    from meetings.embeddings import get_embedder
    from meetings.log import logger, raises_without_values
    from meetings.manager.knowledge.ingest import ingest_s3_object

    # Loaded during the init phase, which runs with a full vCPU, not on the first event.
    get_embedder()


def created_objects(event: S3Event) -> list[tuple[str, str]]:
    """(bucket, key) of each created object; keys arrive URL-encoded, a test event has no records."""
    if not event.get("Records"):
        return []
    return [
        (record.s3.bucket.name, unquote_plus(record.s3.get_object.key))
        for record in event.records
        if record.event_name.startswith("ObjectCreated:")
    ]


@logger.inject_lambda_context
@raises_without_values
@event_source(data_class=S3Event)
def handler(event: S3Event, context: LambdaContext) -> dict:
    outcomes = []
    for bucket, key in created_objects(event):
        with set_db_scope(session_factory()(), "jobs") as db:
            outcome = ingest_s3_object(db=db, bucket=bucket, key=key)
            db.commit()
        logger.info(  # by id: the key holds the document's name, which may name a person
            "knowledge object processed",
            extra={"document_id": outcome.document_id, "status": outcome.status, "reason": outcome.reason},
        )
        outcomes.append(outcome.status)
    return {"objects": len(outcomes), **{status: outcomes.count(status) for status in sorted(set(outcomes))}}
