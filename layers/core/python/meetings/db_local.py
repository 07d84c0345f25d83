"""Local runs (make run, make purge, make agent, the CLI): connect as a service role even when
DATABASE_URL names the migrator or a superuser, through a real login as the role."""

import os

from sqlalchemy import create_engine, pool

from meetings.db import get_engine, resolve_database_url, session_factory
from meetings.db_roles import local_login_url, role_powers
from meetings.settings import ConfigurationError, get_settings


def local_role_url(role: str) -> str | None:
    """Development: a URL that logs in as `role` when DATABASE_URL names a migrator or a superuser
    (None when it already names a service role, which cannot give others a login)."""
    settings = get_settings()
    if settings.environment == "production":
        raise ConfigurationError("production services get their own role's credentials, not a local login")
    url = resolve_database_url(settings)
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            powerful = any(any(powers) for _, *powers in role_powers(connection))
    finally:
        engine.dispose()
    if not powerful:
        return None
    return local_login_url(url, role, os.environ.get("LOCAL_DATA_DIR") or ".data")


def serve_locally_as(role: str) -> str:
    """Development: makes this process (and its children) connect as `role` when DATABASE_URL names a
    migrator or a superuser (a URL of a service role is kept as it is). Returns the URL."""
    url = local_role_url(role)
    if url is None:
        return resolve_database_url(get_settings())
    os.environ["DATABASE_URL"] = url
    for cached in (get_settings, get_engine, session_factory):
        cached.cache_clear()
    return url
