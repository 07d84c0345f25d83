"""Manager API: warm requests through the Lambda handler (Mangum + FastAPI + SQLAlchemy) against two
floors measured in the same run — the same reads in raw psycopg, and a bare FastAPI + Mangum app doing
those raw reads behind the same API Gateway event; login against one bcrypt check at the same cost.
Cold imports are in bench_cold_start.py."""

import base64
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import (  # noqa: E402
    bench_database,
    bench_session,
    lambda_handler,
    median,
    report,
    samples,
    timed,
    with_and_without_rls,
)

WARM_REQUESTS = 300
LOGINS = 20
LIST_ROWS = 50
PASSWORD = "bench passphrase 123"


def http_api_event(
    method: str, path: str, *, query: str = "", token: str | None = None, body: dict | None = None
) -> dict:
    """An API Gateway HTTP API payload format 2.0 event."""
    headers = {"accept": "application/json", "content-type": "application/json", "host": "api.example.com"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    raw = json.dumps(body).encode() if body else b""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
            "requestId": "bench",
            "stage": "$default",
        },
        "body": base64.b64encode(raw).decode() if raw else None,
        "isBase64Encoded": bool(raw),
    }


def bare_app_handler(connection, manager_id: int, entity_columns: str):
    """The floor: FastAPI + Mangum with a bearer check and the same raw reads, nothing of ours."""
    from fastapi import FastAPI, Header
    from mangum import Mangum

    app = FastAPI()
    columns = [column.strip() for column in entity_columns.split(",")]

    def principal(authorization: str) -> None:
        assert authorization.startswith("Bearer ")
        connection.execute("SELECT id, role, entity_id FROM users WHERE id = %s AND active", (manager_id,))

    def as_json(row) -> dict:
        return {
            column: (value.isoformat() if hasattr(value, "isoformat") else value)
            for column, value in zip(columns, row, strict=True)
        }

    @app.get("/v1/entities/{entity_id}")
    def get_entity(entity_id: int, authorization: str = Header()) -> dict:
        principal(authorization)
        row = connection.execute(
            f"SELECT {entity_columns} FROM entities WHERE id = %s", (entity_id,)
        ).fetchone()
        return as_json(row)

    @app.get("/v1/entities")
    def list_entities(limit: int = 50, offset: int = 0, authorization: str = Header()) -> dict:
        principal(authorization)
        total = connection.execute("SELECT count(*) FROM entities").fetchone()[0]
        rows = connection.execute(
            f"SELECT {entity_columns} FROM entities ORDER BY id LIMIT %s OFFSET %s", (limit, offset)
        ).fetchall()
        return {"items": [as_json(row) for row in rows], "total": total, "limit": limit, "offset": offset}

    return Mangum(app, lifespan="off")


def interleaved_medians(ours, floor, count: int) -> tuple[float, float]:
    """The medians of `ours` and `floor`, run in turn request by request (which one goes first
    alternates), so that a burst of load falls on both alike."""
    for _ in range(20):
        ours(), floor()
    ours_samples, floor_samples = [], []
    for index in range(count):
        for action, into in ((ours, ours_samples), (floor, floor_samples))[:: -1 if index % 2 else 1]:
            into.append(timed(action))
    return median(ours_samples), median(floor_samples)


def seed() -> tuple[int, int]:
    """A manager and enough entities for a full page; returns (manager id, one entity id)."""
    from meetings.identity.passwords import hash_password
    from meetings.identity.roles import UserRole
    from meetings.manager.entities.models import Entity
    from meetings.manager.users.models import User
    from meetings.settings import get_settings

    with bench_session() as db:
        manager = User(
            email="bench@example.com",
            password=hash_password(PASSWORD, rounds=get_settings().bcrypt_rounds),
            phone_number="+5511999990001",
            role=UserRole.MANAGER,
        )
        entities = [Entity(name=f"Bench clinic {i}", type="medical_clinic") for i in range(LIST_ROWS + 10)]
        db.add_all([manager, *entities])
        db.flush()
        admin = User(
            email="admin@example.com",
            password=manager.password,
            phone_number="+5511999990002",
            role=UserRole.ENTITY_ADMIN,
            entity_id=entities[0].id,
        )
        db.add(admin)
        db.commit()
        return manager.id, entities[0].id


def main() -> None:
    with bench_database() as url:
        import bcrypt
        import psycopg

        from meetings.db import proxy_safe_connect_args
        from meetings.settings import get_settings

        manager_id, entity_id = seed()
        handler = lambda_handler("manager_api")

        login_event = http_api_event(
            "POST", "/v1/auth/login", body={"email": "bench@example.com", "password": PASSWORD}
        )
        login_answer = handler(login_event, None)
        assert login_answer["statusCode"] == 200, login_answer
        token = json.loads(login_answer["body"])["access_token"]

        get_event = http_api_event("GET", f"/v1/entities/{entity_id}", token=token)
        list_event = http_api_event("GET", "/v1/entities", query=f"limit={LIST_ROWS}&offset=0", token=token)

        def handler_get() -> None:
            assert handler(get_event, None)["statusCode"] == 200

        def handler_list() -> None:
            answer = handler(list_event, None)
            assert answer["statusCode"] == 200 and len(json.loads(answer["body"])["items"]) == LIST_ROWS

        admin_answer = handler(
            http_api_event(
                "POST", "/v1/auth/login", body={"email": "admin@example.com", "password": PASSWORD}
            ),
            None,
        )
        admin_get_event = http_api_event(
            "GET", f"/v1/entities/{entity_id}", token=json.loads(admin_answer["body"])["access_token"]
        )

        def admin_get() -> None:
            assert handler(admin_get_event, None)["statusCode"] == 200

        # Row-level security on and off in alternating rounds of the same requests.
        rls = {
            name: with_and_without_rls(
                url, lambda action=action: samples(action, WARM_REQUESTS // 4, warmup=5)
            )
            for name, action in (("get", handler_get), ("list", handler_list), ("admin get", admin_get))
        }
        rls_get_s = median(rls["get"][0])
        rls_list_s = median(rls["list"][0])

        entity_columns = (
            "id, name, type, default_instructions, max_participants, recording_retention_days, "
            "active, created_at, updated_at"
        )
        with psycopg.connect(url, autocommit=True, **proxy_safe_connect_args()) as connection:

            def principal() -> None:
                connection.execute(
                    "SELECT id, role, entity_id FROM users WHERE id = %s AND active", (manager_id,)
                ).fetchone()

            def raw_get() -> None:
                principal()
                assert connection.execute(
                    f"SELECT {entity_columns} FROM entities WHERE id = %s", (entity_id,)
                ).fetchone()

            def raw_list() -> None:
                principal()
                connection.execute("SELECT count(*) FROM entities").fetchone()
                rows = connection.execute(
                    f"SELECT {entity_columns} FROM entities ORDER BY id LIMIT %s OFFSET 0", (LIST_ROWS,)
                ).fetchall()
                assert len(rows) == LIST_ROWS

            raw_get_s = median(samples(raw_get, WARM_REQUESTS, warmup=20))
            raw_list_s = median(samples(raw_list, WARM_REQUESTS, warmup=20))

            bare = bare_app_handler(connection, manager_id, entity_columns)

            def bare_get() -> None:
                assert bare(get_event, None)["statusCode"] == 200

            def bare_list() -> None:
                answer = bare(list_event, None)
                assert answer["statusCode"] == 200 and len(json.loads(answer["body"])["items"]) == LIST_ROWS

            # The handler and the bare app in turn, request by request, so that a burst of load on the
            # machine falls on both sides alike.
            handler_get_s, bare_get_s = interleaved_medians(handler_get, bare_get, WARM_REQUESTS)
            handler_list_s, bare_list_s = interleaved_medians(handler_list, bare_list, WARM_REQUESTS)

        stored_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=get_settings().bcrypt_rounds))
        # Interleaved, like the cold imports.
        pairs = [
            (
                timed(lambda: handler(login_event, None)),
                timed(lambda: bcrypt.checkpw(PASSWORD.encode(), stored_hash)),
            )
            for _ in range(LOGINS)
        ]
        login_s, checkpw_s = median([login for login, _ in pairs]), median([check for _, check in pairs])

    report(
        "manager GET /v1/entities/{id} via Lambda handler (median)",
        rls_get_s * 1000,
        "ms",
        floor=raw_get_s * 1000,
        floor_name="raw psycopg reads",
    )
    report(
        f"manager GET /v1/entities?limit={LIST_ROWS} via Lambda handler (median)",
        rls_list_s * 1000,
        "ms",
        floor=raw_list_s * 1000,
        floor_name="raw psycopg reads",
    )
    for name, label in (
        ("get", "manager GET /v1/entities/{id}"),
        ("list", f"manager GET /v1/entities?limit={LIST_ROWS}"),
        ("admin get", "entity admin GET /v1/entities/{own id}"),
    ):
        with_rls, without_rls = rls[name]
        report(
            f"{label} with row-level security (median)",
            median(with_rls) * 1000,
            "ms",
            floor=median(without_rls) * 1000,
            floor_name="row-level security disabled",
        )
    report(
        "manager GET /v1/entities/{id} via Lambda handler (median)",
        handler_get_s * 1000,
        "ms",
        floor=bare_get_s * 1000,
        floor_name="bare FastAPI+Mangum app, raw reads",
    )
    report(
        f"manager GET /v1/entities?limit={LIST_ROWS} via Lambda handler (median)",
        handler_list_s * 1000,
        "ms",
        floor=bare_list_s * 1000,
        floor_name="bare FastAPI+Mangum app, raw reads",
    )
    report(
        f"manager login via Lambda handler, bcrypt cost {get_settings().bcrypt_rounds} (median)",
        login_s * 1000,
        "ms",
        floor=checkpw_s * 1000,
        floor_name="one bcrypt.checkpw",
    )


if __name__ == "__main__":
    main()
