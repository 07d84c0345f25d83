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
