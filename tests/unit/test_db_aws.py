"""Connecting to RDS: verify-full TLS against the CA bundle, and a fresh IAM token per connection."""

import pytest
from sqlalchemy import create_engine, event, make_url

from meetings.db_aws import iam_database_url, use_iam_tokens
from meetings.settings import Settings

PROXY = dict(database_host="meetings.proxy-abc.us-east-1.rds.amazonaws.com", database_user="meetings_jobs")


def test_the_proxy_url_names_the_role_and_verifies_the_server():
    url = make_url(iam_database_url(Settings(**PROXY, database_iam_auth=True)))
    assert (url.username, url.password, url.host, url.database) == (
        "meetings_jobs",
        None,
        PROXY["database_host"],
        "meetings",
    )
    assert url.query == {"sslmode": "verify-full", "sslrootcert": "/opt/certs/rds-global-bundle.pem"}


class Captured(Exception):
    pass


def test_every_new_connection_signs_its_own_iam_token(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings = Settings(**PROXY, database_iam_auth=True)
    engine = create_engine(iam_database_url(settings))
    use_iam_tokens(engine, settings)
    passwords = []

    @event.listens_for(engine, "do_connect")
    def capture(dialect, record, cargs, cparams):
        passwords.append(cparams["password"])
        raise Captured

    for _ in range(2):
        with pytest.raises(Captured):
            engine.connect()
    assert len(passwords) == 2
    assert all("X-Amz-Signature=" in token and "DBUser=meetings_jobs" in token for token in passwords)


def test_the_token_is_the_one_an_rds_client_signs(monkeypatch):
    """Byte for byte, at the same instant and with the same credentials, as botocore's own
    generate_db_auth_token: the proxy accepts exactly that token."""
    import datetime

    import boto3
    import botocore.auth

    from meetings.db_aws import rds_auth_token

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session/token+with=characters")
    instant = datetime.datetime(2026, 12, 1, 19, 0, 0)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: instant)
    host, user = "meetings.proxy-abc.eu-west-1.rds.amazonaws.com", "meetings_app"

    session = boto3.Session()  # not boto3's default one, which an earlier test may have used
    expected = session.client("rds", region_name="eu-west-1").generate_db_auth_token(
        DBHostname=host, Port=5432, DBUsername=user, Region="eu-west-1"
    )
    credentials = session.get_credentials()
    ours = rds_auth_token(credentials, host=host, port=5432, user=user, region="eu-west-1")
    assert ours == expected
    assert ours.startswith(f"{host}:5432/?Action=connect&DBUser={user}&X-Amz-Algorithm=AWS4-HMAC-SHA256")

    other_user = rds_auth_token(credentials, host=host, port=5432, user="meetings_jobs", region="eu-west-1")
    assert other_user != ours  # the role is signed into the token


def test_without_credentials_the_connection_fails_as_an_rds_client_would():
    from botocore.exceptions import NoCredentialsError

    from meetings.db_aws import rds_auth_token

    with pytest.raises(NoCredentialsError):
        rds_auth_token(None, host="h", port=5432, user="meetings_app", region="us-east-1")


@pytest.mark.parametrize("engine_of", ["lambda", "agent"])
def test_the_services_engines_sign_a_token_for_each_connection_on_aws(monkeypatch, engine_of):
    """The process-wide engine of the functions and the agent's engine, built from settings that name the
    proxy with IAM authentication (no DATABASE_URL), connect with a signed token as their role."""
    from meetings import db
    from meetings.settings import get_settings

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings = Settings(**PROXY, database_iam_auth=True, database_url=None)
    monkeypatch.setattr(db, "get_settings", lambda: settings)
    if engine_of == "lambda":
        db.get_engine.cache_clear()
        engine = db.get_engine()
    else:
        from agent_container.meeting_agent import store

        monkeypatch.setattr(store, "get_settings", lambda: settings)
        store.default_engine.cache_clear()
        engine = store.default_engine()
    passwords = []

    @event.listens_for(engine, "do_connect")
    def capture(dialect, record, cargs, cparams):
        passwords.append(cparams.get("password"))
        raise Captured

    try:
        with pytest.raises(Captured):
            engine.connect()
    finally:
        db.get_engine.cache_clear()
        get_settings.cache_clear()
        if engine_of == "agent":
            store.default_engine.cache_clear()
    assert passwords and "X-Amz-Signature=" in passwords[0] and "DBUser=meetings_jobs" in passwords[0]
