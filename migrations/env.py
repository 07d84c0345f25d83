"""Alembic environment: migrates the configured database (DATABASE_URL, the RDS secret or the
embedded development server), or a connection handed in through `config.attributes`."""

from alembic import context
from sqlalchemy import create_engine, pool

from meetings.db import resolve_database_url
from meetings.migrate import include_object
from meetings.models import metadata
from meetings.settings import get_settings

config = context.config


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_object,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = config.attributes.get("url") or resolve_database_url(get_settings())
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        run_migrations(connection)
