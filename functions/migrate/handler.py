"""Deploy-time migration (run by a CDK Trigger): `alembic upgrade head` on the RDS instance.

Any failure propagates: the Trigger sees a function error and the deployment fails and rolls back.
"""

from meetings.db import resolve_database_url
from meetings.log import logger
from meetings.migrate import upgrade_to_head
from meetings.settings import get_settings


def handler(event, context):
    upgrade_to_head(resolve_database_url(get_settings()))
    logger.info("database migrated to head")
    return {"status": "migrated"}
