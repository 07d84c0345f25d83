"""Accounts: own credentials change with the current password, credential changes end sessions, and a
peer's password is reset through a one-time token, never set by someone else."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from meetings.manager.users.models import User
from tests.factories import TEST_PASSWORD, make_user
from tests.support.answers import error_code, field_codes

NEW = "a brand new passphrase"


def me(client, headers):
    return client.get("/v1/auth/me", headers=headers)


def test_changing_your_own_password_needs_the_current_one(client, db, clinic, auth_headers):
    headers = auth_headers(clinic.admin)
    path = f"/v1/users/{clinic.admin.id}"
    missing = client.patch(path, json={"password": NEW}, headers=headers)
    wrong = client.patch(path, json={"password": NEW, "current_password": "not it at all"}, headers=headers)
    assert field_codes(missing)["current_password"] == "current_password_required"
    assert (wrong.status_code, error_code(wrong)) == (403, "invalid_current_password")
    db.refresh(clinic.admin)
    assert clinic.admin.token_version == 0

    right = client.patch(path, json={"password": NEW, "current_password": TEST_PASSWORD}, headers=headers)
    assert right.status_code == 200


def test_changing_your_own_email_needs_the_current_password_and_ends_sessions(
    client, db, clinic, auth_headers
):
    headers = auth_headers(clinic.admin)
    path = f"/v1/users/{clinic.admin.id}"
    refused = client.patch(path, json={"email": "moved@example.com"}, headers=headers)
    assert refused.status_code == 422
    changed = client.patch(
        path, json={"email": "moved@example.com", "current_password": TEST_PASSWORD}, headers=headers
    )
    assert changed.status_code == 200
    assert (me(client, headers).status_code, error_code(me(client, headers))) == (401, "invalid_token")


def test_a_password_change_ends_every_older_session(client, db, clinic, auth_headers):
    old = {
        "Authorization": f"Bearer {client.post('/v1/auth/login', json={'email': clinic.admin.email, 'password': TEST_PASSWORD}).json()['access_token']}"
    }
    assert me(client, old).status_code == 200
    client.patch(
        f"/v1/users/{clinic.admin.id}", json={"password": NEW, "current_password": TEST_PASSWORD}, headers=old
    )
    assert me(client, old).status_code == 401
    fresh = client.post("/v1/auth/login", json={"email": clinic.admin.email, "password": NEW}).json()
    assert me(client, {"Authorization": f"Bearer {fresh['access_token']}"}).status_code == 200


def test_a_phone_change_keeps_sessions(client, clinic, auth_headers):
    headers = auth_headers(clinic.admin)
    client.patch(f"/v1/users/{clinic.admin.id}", json={"phone_number": "+5511912340000"}, headers=headers)
    assert me(client, headers).status_code == 200


def test_an_admin_cannot_set_a_peers_password_or_email(client, db, clinic, auth_headers):
    peer = make_user(db, role=clinic.admin.role, entity=clinic.entity)
    headers = auth_headers(clinic.admin)
    password = client.patch(f"/v1/users/{peer.id}", json={"password": NEW}, headers=headers)
    email = client.patch(f"/v1/users/{peer.id}", json={"email": "attacker@example.com"}, headers=headers)
    assert (password.status_code, error_code(password)) == (403, "password_reset_required")
    assert (email.status_code, error_code(email)) == (403, "email_change_forbidden")
    db.refresh(peer)
    assert peer.email != "attacker@example.com"


def test_a_manager_changes_an_email_and_that_ends_the_users_sessions(
    client, db, manager, clinic, auth_headers
):
    theirs = auth_headers(clinic.admin)
    answer = client.patch(
        f"/v1/users/{clinic.admin.id}",
        json={"email": "new-address@example.com"},
        headers=auth_headers(manager),
    )
    assert answer.status_code == 200
    assert me(client, theirs).status_code == 401


def test_a_peer_is_reset_through_a_one_time_token(client, db, clinic, auth_headers):
    peer = make_user(db, role=clinic.admin.role, entity=clinic.entity)
    peer_session = auth_headers(peer)
    issued = client.post(f"/v1/users/{peer.id}/password-reset", headers=auth_headers(clinic.admin))
    assert issued.status_code == 201, issued.text
    token = issued.json()["reset_token"]
    db.refresh(peer)
    assert peer.password_reset_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert me(client, peer_session).status_code == 200  # issuing alone changes nothing

    done = client.post("/v1/auth/password-reset", json={"reset_token": token, "password": NEW})
    again = client.post(
        "/v1/auth/password-reset", json={"reset_token": token, "password": "another one here"}
    )

    assert (done.status_code, done.json()) == (200, {"status": "password_changed"})
    assert (again.status_code, error_code(again)) == (400, "invalid_reset_token")
    assert me(client, peer_session).status_code == 401
    assert client.post("/v1/auth/login", json={"email": peer.email, "password": NEW}).status_code == 200


def test_an_expired_or_unknown_reset_token_is_refused(client, db, clinic, auth_headers):
    issued = client.post(
        f"/v1/users/{clinic.admin.id}/password-reset", headers=auth_headers(clinic.admin)
    ).json()
    user = db.get(User, clinic.admin.id)
    user.password_reset_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.flush()
    for token in (issued["reset_token"], "made-up-token"):
        answer = client.post("/v1/auth/password-reset", json={"reset_token": token, "password": NEW})
        assert (answer.status_code, error_code(answer)) == (400, "invalid_reset_token")
    db.refresh(user)
    assert user.token_version == 0


def test_reset_bodies_are_validated(client):
    short = client.post("/v1/auth/password-reset", json={"reset_token": "x", "password": "short"})
    missing = client.post("/v1/auth/password-reset", json={"password": NEW})
    assert field_codes(short)["password"] == "string_too_short"
    assert field_codes(missing)["reset_token"] == "missing"


def test_a_reset_needs_a_token_and_a_visible_user(client, db, manager, clinic, auth_headers):
    assert client.post(f"/v1/users/{clinic.admin.id}/password-reset").status_code == 401
    other = client.post(f"/v1/users/{manager.id}/password-reset", headers=auth_headers(clinic.admin))
    assert (other.status_code, error_code(other)) == (404, "user_not_found")


@pytest.mark.parametrize("deactivate", ["delete", "patch"])
def test_reactivating_a_user_revives_no_token_or_reset_issued_before(
    client, db, clinic, auth_headers, deactivate
):
    """A stolen token, and a reset link in a stolen mailbox, die with the deactivation: an admin who
    deactivates, reactivates and then resets does not bring them back in between."""
    peer = make_user(db, role=clinic.admin.role, entity=clinic.entity)
    stolen = auth_headers(peer)
    admin = auth_headers(clinic.admin)
    reset = client.post(f"/v1/users/{peer.id}/password-reset", headers=admin).json()["reset_token"]

    if deactivate == "delete":
        assert client.delete(f"/v1/users/{peer.id}", headers=admin).status_code == 200
    else:
        assert client.patch(f"/v1/users/{peer.id}", json={"active": False}, headers=admin).status_code == 200
    assert client.patch(f"/v1/users/{peer.id}", json={"active": True}, headers=admin).status_code == 200

    assert me(client, stolen).status_code == 401
    answer = client.post("/v1/auth/password-reset", json={"reset_token": reset, "password": NEW})
    assert (answer.status_code, error_code(answer)) == (400, "invalid_reset_token")
    login = client.post("/v1/auth/login", json={"email": peer.email, "password": TEST_PASSWORD})
    assert login.status_code == 200  # the account itself works again
