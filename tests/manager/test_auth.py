"""Login: tokens, identical failures for unknown emails and wrong passwords, inactive users, throttling."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from meetings.errors import Unauthorized
from meetings.identity.roles import UserRole
from meetings.identity.tokens import decode_access_token
from meetings.manager.auth import service
from meetings.manager.auth.models import LoginThrottle
from meetings.settings import get_settings
from tests.factories import TEST_PASSWORD, make_user
from tests.support.answers import error_code, field_codes


def login(client, email, password=TEST_PASSWORD):
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def test_login_returns_a_token_for_the_user_and_me_reads_it(client, clinic):
    response = login(client, clinic.admin.email)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == get_settings().jwt_ttl_seconds
    assert body["user"] == {
        **body["user"],
        "id": clinic.admin.id,
        "role": "ENTITY_ADMIN",
        "entity_id": clinic.entity.id,
    }
    assert "password" not in body["user"]
    assert decode_access_token(body["access_token"], get_settings()) == clinic.admin.id

    me = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == clinic.admin.email


def test_login_email_is_case_insensitive(client, manager):
    assert login(client, manager.email.upper()).status_code == 200


def test_wrong_password_unknown_email_and_inactive_user_get_the_same_answer(client, db, manager):
    inactive = make_user(db, role=UserRole.MANAGER, active=False)
    answers = [
        login(client, manager.email, "wrong password"),
        login(client, "nobody@example.com"),
        login(client, inactive.email),
    ]
    assert [answer.status_code for answer in answers] == [401, 401, 401]
    assert len({answer.text for answer in answers}) == 1
    assert error_code(answers[0]) == "invalid_credentials"


def test_unknown_email_is_checked_against_a_bcrypt_hash_too(db, monkeypatch):
    checked = []
    real_verify = service.verify_password
    monkeypatch.setattr(
        service, "verify_password", lambda plain, hashed: checked.append(hashed) or real_verify(plain, hashed)
    )

    with pytest.raises(Unauthorized):
        service.login(db=db, email="ghost@example.com", password="whatever")

    assert checked == [service.dummy_hash(get_settings().bcrypt_rounds)]


def test_five_failures_lock_the_address_even_for_the_right_password(client, manager):
    for _ in range(service.MAX_FAILED_LOGINS):
        assert login(client, manager.email, "wrong password").status_code == 401

    locked = login(client, manager.email)

    assert locked.status_code == 429
    assert error_code(locked) == "too_many_attempts"
    retry_after = int(locked.headers["Retry-After"])
    assert 0 < retry_after <= service.FIRST_LOCK.total_seconds()


def test_unknown_addresses_are_throttled_the_same_way(client):
    for _ in range(service.MAX_FAILED_LOGINS):
        assert login(client, "ghost@example.com").status_code == 401
    assert login(client, "ghost@example.com").status_code == 429


def test_lock_expires_and_success_resets_the_count(db, manager):
    start = datetime.now(UTC)
    for _ in range(service.MAX_FAILED_LOGINS):
        with pytest.raises(service.Unauthorized):
            service.login(db=db, email=manager.email, password="wrong", now=start)
    with pytest.raises(service.TooManyRequests):
        service.login(db=db, email=manager.email, password=TEST_PASSWORD, now=start + timedelta(seconds=20))

    later = start + service.FIRST_LOCK + timedelta(seconds=1)
    assert service.login(db=db, email=manager.email, password=TEST_PASSWORD, now=later).user.id == manager.id
    assert db.get(LoginThrottle, service.address_key(manager.email)) is None


def test_each_failure_past_the_limit_doubles_the_lock_up_to_a_ceiling(db, manager):
    """Someone guessing at an address slows it down, but never locks the owner out for longer than
    MAX_LOCK at a time, however long they keep trying."""
    at = datetime.now(UTC)
    locks = []
    for _ in range(service.MAX_FAILED_LOGINS + 12):
        with pytest.raises(service.Unauthorized):
            service.login(db=db, email=manager.email, password="wrong", now=at)
        throttle = db.get(LoginThrottle, service.address_key(manager.email))
        db.refresh(throttle)
        if throttle.locked_until is not None:
            locks.append(throttle.locked_until - at)
            at = throttle.locked_until + timedelta(milliseconds=1)  # wait it out, then guess again
    assert locks[:3] == [service.FIRST_LOCK, 2 * service.FIRST_LOCK, 4 * service.FIRST_LOCK]
    assert max(locks) == service.MAX_LOCK
    assert service.login(db=db, email=manager.email, password=TEST_PASSWORD, now=at).user.id == manager.id


def test_a_count_of_failures_in_the_thousands_still_locks_for_max_lock(db, manager):
    """One guess each time the lock ends, for ten days: about 1,025 counted failures, where 30 s doubled
    each time would overflow PostgreSQL's numeric. The answer is still 401, and the lock MAX_LOCK."""
    at = datetime.now(UTC)
    for _ in range(service.MAX_FAILED_LOGINS):
        with pytest.raises(service.Unauthorized):
            service.login(db=db, email=manager.email, password="wrong", now=at)
    throttle = db.get(LoginThrottle, service.address_key(manager.email))
    throttle.failed_count, throttle.locked_until = 1_100, at  # its lock just ended
    db.flush()
    later = at + timedelta(seconds=1)

    with pytest.raises(service.Unauthorized):
        service.login(db=db, email=manager.email, password="wrong", now=later)

    db.refresh(throttle)
    assert throttle.failed_count == 1_101 and throttle.locked_until == later + service.MAX_LOCK
    with pytest.raises(service.TooManyRequests):
        service.login(db=db, email=manager.email, password=TEST_PASSWORD, now=later + timedelta(seconds=2))


def test_attempts_refused_during_a_lock_do_not_extend_it(db, manager):
    start = datetime.now(UTC)
    for _ in range(service.MAX_FAILED_LOGINS):
        with pytest.raises(service.Unauthorized):
            service.login(db=db, email=manager.email, password="wrong", now=start)
    for second in range(1, 25):
        with pytest.raises(service.TooManyRequests):
            service.login(db=db, email=manager.email, password="wrong", now=start + timedelta(seconds=second))
    throttle = db.get(LoginThrottle, service.address_key(manager.email))
    db.refresh(throttle)
    assert throttle.locked_until == start + service.FIRST_LOCK


def test_one_client_is_limited_across_addresses_and_others_are_not(db, manager):
    start = datetime.now(UTC)
    for n in range(service.MAX_FAILED_LOGINS_PER_CLIENT):
        with pytest.raises(service.Unauthorized):
            service.login(
                db=db, email=f"spray-{n}@example.com", password="x", client="203.0.113.9", now=start
            )
    with pytest.raises(service.TooManyRequests):
        service.login(db=db, email=manager.email, password=TEST_PASSWORD, client="203.0.113.9", now=start)
    owner = service.login(
        db=db, email=manager.email, password=TEST_PASSWORD, client="198.51.100.4", now=start
    )
    assert owner.user.id == manager.id


def test_the_login_route_counts_failures_per_client(client, db):
    for n in range(service.MAX_FAILED_LOGINS_PER_CLIENT):
        assert login(client, f"route-spray-{n}@example.com").status_code == 401
    assert login(client, "route-spray-new@example.com").status_code == 429


def test_finished_throttle_rows_are_pruned(db):
    start = datetime.now(UTC)
    with pytest.raises(service.Unauthorized):
        service.login(db=db, email="old-guess@example.com", password="x", client="192.0.2.1", now=start)
    assert db.get(LoginThrottle, service.address_key("old-guess@example.com")) is not None
    later = start + service.FAILURE_WINDOW + timedelta(seconds=1)
    with pytest.raises(service.Unauthorized):
        service.login(db=db, email="new-guess@example.com", password="x", client="192.0.2.2", now=later)
    db.expire_all()
    keys = set(db.scalars(select(LoginThrottle.key)))
    assert not keys & {service.address_key("old-guess@example.com"), service.client_key("192.0.2.1")}
    assert service.address_key("new-guess@example.com") in keys


def test_failures_outside_the_window_start_a_new_count(db, manager):
    start = datetime.now(UTC)
    for minute in range(service.MAX_FAILED_LOGINS - 1):
        with pytest.raises(service.Unauthorized):
            service.login(db=db, email=manager.email, password="wrong", now=start + timedelta(minutes=minute))
    later = start + service.FAILURE_WINDOW + timedelta(minutes=1)
    with pytest.raises(service.Unauthorized):
        service.login(db=db, email=manager.email, password="wrong", now=later)

    throttle = db.get(LoginThrottle, service.address_key(manager.email))
    db.refresh(throttle)
    assert (throttle.failed_count, throttle.locked_until) == (1, None)


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"email": "not-an-email", "password": "x"}, "email", "invalid_email"),
        ({"email": "a@example.com", "password": ""}, "password", "string_too_short"),
        ({"email": "a@example.com", "password": "é" * 37}, "password", "password_too_long"),
        ({"email": "a@example.com"}, "password", "missing"),
        ({"email": "a@example.com", "password": "x", "remember": True}, "remember", "extra_forbidden"),
    ],
)
def test_login_rejects_bad_input(client, body, field, code):
    assert field_codes(client.post("/v1/auth/login", json=body))[field] == code


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "not_authenticated"),
        ({"Authorization": "Bearer not-a-jwt"}, "invalid_token"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "not_authenticated"),
    ],
)
def test_me_requires_a_valid_token(client, headers, code):
    response = client.get("/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert error_code(response) == code


def test_a_deactivated_users_token_stops_working(client, db, manager, auth_headers):
    headers = auth_headers(manager)
    manager.active = False
    db.flush()
    assert client.get("/v1/auth/me", headers=headers).status_code == 401


def test_parallel_failures_are_all_counted(engine):
    """Each failure is one atomic upsert: concurrent guesses cannot overwrite each other's count."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    email = "parallel-guess@example.com"
    attempts = 4

    def guess(_):
        with Session(engine) as session:
            try:
                service.login(db=session, email=email, password="wrong")
            except service.Unauthorized:
                session.commit()

    try:
        with ThreadPoolExecutor(max_workers=attempts) as pool:
            list(pool.map(guess, range(attempts)))
        with Session(engine) as session:
            assert session.get(LoginThrottle, service.address_key(email)).failed_count == attempts
    finally:
        with Session(engine) as session:
            session.execute(delete(LoginThrottle).where(LoginThrottle.key == service.address_key(email)))
            session.commit()


def test_the_throttle_keeps_no_email_address_or_client_address(db, manager):
    import uuid

    client = f"198.51.100.{uuid.uuid4().int % 250}"
    before = set(db.scalars(select(LoginThrottle.key)))
    for email in (f"nobody-{uuid.uuid4().hex[:8]}@example.com", manager.email):
        with pytest.raises(service.Unauthorized):
            service.login(db=db, email=email, password="wrong-password", client=client)
    keys = set(db.scalars(select(LoginThrottle.key))) - before
    assert len(keys) == 3 and {key.split(":")[0] for key in keys} == {"address", "client"}
    assert not [key for key in keys if "@" in key or "example.com" in key or "198.51.100" in key]
    assert {service.address_key(manager.email), service.client_key(client)} <= keys  # same input, same key
