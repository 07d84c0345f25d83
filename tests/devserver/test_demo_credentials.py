"""`make run` prints the demo logins of the database it uses, never those created in another one."""

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from devserver.demo.seed import database_identity, load_demo_data


@pytest.fixture
def kb_bucket():
    """The demo uploads its documents: an in-process S3 with the knowledge-base bucket."""
    from moto import mock_aws

    from meetings.settings import get_settings
    from meetings.storage import s3_client

    with mock_aws():
        s3_client.cache_clear()
        s3_client().create_bucket(Bucket=get_settings().kb_bucket)
        yield
    s3_client.cache_clear()


@pytest.fixture
def other_database(database_url):
    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("CREATE DATABASE demo_credentials_other")
    engine = create_engine(url.set(database="demo_credentials_other"))
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("DROP DATABASE demo_credentials_other")


def test_each_database_has_its_own_identity(db, other_database):
    assert database_identity(db) == database_identity(db)
    assert database_identity(db) != database_identity(other_database)


def test_logins_noted_for_another_database_are_not_printed(db, other_database, kb_bucket, tmp_path):
    (tmp_path / f"demo-credentials-{database_identity(other_database)}.txt").write_text(
        "Manager: someone@elsewhere.example.com / a password of another database\n"
    )

    lines = load_demo_data(db, tmp_path)

    assert any("manager@demo.example.com" in line for line in lines)
    assert not any("elsewhere" in line for line in lines)
    assert load_demo_data(db, tmp_path) == lines
