"""The API refuses to serve with an embedding dimension that does not match the database; /health."""

import pytest
from fastapi import APIRouter

from meetings.api.app import create_app
from meetings.db import verify_schema
from meetings.settings import ConfigurationError, Settings, get_settings


def test_matching_dimension_passes(engine):
    verify_schema(engine, get_settings())


def test_mismatched_dimension_is_refused(engine):
    wrong = Settings(embedding_dim=get_settings().embedding_dim * 2)
    with pytest.raises(ConfigurationError, match="EMBEDDING_DIM"):
        verify_schema(engine, wrong)


def test_unmigrated_database_is_refused(database_url):
    import psycopg
    from sqlalchemy import create_engine, pool

    admin = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS meetings_empty")
        connection.execute("CREATE DATABASE meetings_empty")
    empty = create_engine(database_url.replace("/meetings_test", "/meetings_empty"), poolclass=pool.NullPool)
    with pytest.raises(ConfigurationError, match="not migrated"):
        verify_schema(empty, get_settings())


def test_health_reports_the_database(engine):
    from fastapi.testclient import TestClient

    with TestClient(create_app("t", [APIRouter()])) as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_the_database_is_down(monkeypatch):
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine

    import meetings.api.app as app_module

    unreachable = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    monkeypatch.setattr(app_module, "get_engine", lambda: unreachable)
    with TestClient(create_app("t", [APIRouter()])) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"


def test_openapi_documents_the_real_error_body():
    from devserver.server import app

    schema = app.openapi()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    login_errors = schema["paths"]["/v1/auth/login"]["post"]["responses"]
    for status in ("401", "422"):
        assert login_errors[status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse"
        }
    assert set(schema["components"]["schemas"]["ErrorDetail"]["properties"]) == {"code", "message", "details"}
