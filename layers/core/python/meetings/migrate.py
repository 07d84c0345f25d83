"""Runs the Alembic migrations programmatically (make run, the tests and the migrate Lambda)."""

import os
from pathlib import Path

from alembic import command
from alembic.config import Config


def migrations_dir() -> Path:
    """`MIGRATIONS_DIR`, or the repository's migrations/ beside layers/ in development."""
    configured = os.environ.get("MIGRATIONS_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[4] / "migrations"


# Expression indexes (lower(name)) cannot be compared by autogenerate; the migrations own them.
EXPRESSION_INDEXES = {"uq_entities_active_name", "uq_departments_entity_active_name"}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Autogenerate filter shared by env.py and the drift test."""
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if url is not None:
        config.attributes["url"] = url
    return config


def upgrade_to_head(url: str | None = None) -> None:
    """Brings the database to the newest schema."""
    command.upgrade(alembic_config(url), "head")


def downgrade_to_base(url: str | None = None) -> None:
    command.downgrade(alembic_config(url), "base")
