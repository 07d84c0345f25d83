"""Deploy-time migration (run by a CDK Trigger): `alembic upgrade head` on the RDS instance.

Any failure propagates: the Trigger sees a function error and the deployment fails and rolls back.
"""

from meetings.log import logger
from meetings.migrate import upgrade_to_head


def handler(event, context):
    upgrade_to_head()  # the database of the settings: DATABASE_SECRET_ARN and the instance host
    logger.info("database migrated to head")
    return {"status": "migrated"}
