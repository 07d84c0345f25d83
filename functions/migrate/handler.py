"""Deploy-time migration (run by a CDK Trigger): `alembic upgrade head` on the RDS instance, as the
migrator (the master user, which owns the schema); then, on the first deployment, a login for each
service role with the password of its secret (from then on the secret's rotation owns it).

Any failure propagates: the Trigger sees a function error and the deployment fails and rolls back.
"""

from meetings.init_phase import collector_paused

with collector_paused():
    import json
    import os

    from meetings.log import logger
    from meetings.migrate import upgrade_to_head


def role_credentials(secret_arns: str) -> dict[str, str]:
    """role -> password, from the role secrets named in DATABASE_ROLE_SECRET_ARNS (comma-separated)."""
    from aws_lambda_powertools.utilities.parameters import get_secret

    credentials = {}
    for arn in filter(None, (part.strip() for part in secret_arns.split(","))):
        secret = json.loads(get_secret(arn))
        credentials[secret["username"]] = secret["password"]
    return credentials


def handler(event, context):
    upgrade_to_head()  # the database of the settings: DATABASE_SECRET_ARN and the instance host
    provisioned = []
    secret_arns = os.environ.get("DATABASE_ROLE_SECRET_ARNS", "")
    if secret_arns:
        from sqlalchemy import create_engine, pool

        from meetings.db import resolve_database_url
        from meetings.db_roles import provision_logins
        from meetings.settings import get_settings

        engine = create_engine(resolve_database_url(get_settings()), poolclass=pool.NullPool)
        with engine.begin() as connection:
            provisioned = provision_logins(connection, role_credentials(secret_arns))
        engine.dispose()
    logger.info("database migrated to head", extra={"logins_provisioned": provisioned})
    return {"status": "migrated", "logins_provisioned": provisioned}
