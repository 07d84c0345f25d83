"""Passwords and backoffice tokens."""

import time

import jwt
import pytest

from meetings.errors import Unauthorized
from meetings.identity.passwords import hash_password, verify_password
from meetings.identity.principal import Principal
from meetings.identity.roles import UserRole
from meetings.identity.tokens import decode_access_token, issue_access_token
from meetings.settings import Settings


def test_password_hash_verifies_only_the_right_password():
    hashed = hash_password("s3cret-passphrase", rounds=10)
    assert hashed.startswith("$2b$10$")
    assert verify_password("s3cret-passphrase", hashed)
    assert not verify_password("s3cret-passphrasE", hashed)
    assert not verify_password("anything", "not-a-hash")


def test_access_token_round_trip():
    settings = Settings(jwt_secret="k" * 40)
    token, ttl = issue_access_token(Principal(7, UserRole.ENTITY_ADMIN, 3), settings)
    assert ttl == settings.jwt_ttl_seconds
    assert decode_access_token(token, settings) == 7


def test_tampered_or_foreign_tokens_are_refused():
    settings = Settings(jwt_secret="k" * 40)
    token, _ = issue_access_token(Principal(7, UserRole.MANAGER, None), settings)
    with pytest.raises(Unauthorized) as wrong_key:
        decode_access_token(token, Settings(jwt_secret="z" * 40))
    assert wrong_key.value.code == "invalid_token"
    forged = jwt.encode({"sub": "1", "aud": "other", "exp": 9999999999}, "k" * 40, algorithm="HS256")
    with pytest.raises(Unauthorized):
        decode_access_token(forged, settings)


def test_expired_tokens_have_their_own_code():
    settings = Settings(jwt_secret="k" * 40)
    expired = jwt.encode(
        {"sub": "1", "ver": 0, "aud": "meetings-backoffice", "exp": 1}, "k" * 40, algorithm="HS256"
    )
    with pytest.raises(Unauthorized) as caught:
        decode_access_token(expired, settings)
    assert caught.value.code == "token_expired"


def test_entity_admin_reaches_only_its_entity():
    admin = Principal(1, UserRole.ENTITY_ADMIN, 5)
    assert admin.can_access_entity(5)
    assert not admin.can_access_entity(6)
    assert not admin.can_access_entity(None)
    assert Principal(2, UserRole.MANAGER, None).can_access_entity(None)


def test_tokens_carry_the_token_version_and_one_without_it_is_refused():
    from meetings.identity.tokens import decode_access_claims

    settings = Settings(jwt_secret="k" * 40)
    token, _ = issue_access_token(Principal(7, UserRole.MANAGER, None), settings, token_version=3)
    assert decode_access_claims(token, settings) == (7, 3)
    unversioned = jwt.encode(
        {"sub": "7", "aud": "meetings-backoffice", "exp": 9999999999}, "k" * 40, algorithm="HS256"
    )
    with pytest.raises(Unauthorized):
        decode_access_claims(unversioned, settings)


def test_a_verified_token_still_expires_on_time(monkeypatch):
    from meetings.identity import tokens

    settings = Settings(jwt_secret="k" * 40, jwt_ttl_seconds=60)
    token, _ = issue_access_token(Principal(7, UserRole.MANAGER, None), settings)
    assert tokens.decode_access_claims(token, settings) == (7, 0)  # verified once, then remembered

    later = time.time() + 61
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    with pytest.raises(Unauthorized) as caught:
        tokens.decode_access_claims(token, settings)
    assert caught.value.code == "token_expired"


def test_a_refused_token_is_checked_again_each_time():
    settings = Settings(jwt_secret="k" * 40)
    token, _ = issue_access_token(Principal(7, UserRole.MANAGER, None), settings)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            decode_access_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), settings)
    assert decode_access_token(token, settings) == 7
    with pytest.raises(Unauthorized):  # the remembered verification belongs to the secret it used
        decode_access_token(token, Settings(jwt_secret="z" * 40))


@pytest.mark.parametrize(
    "claims", [{"sub": ["7"], "ver": 0}, {"sub": "7", "ver": {}}, {"sub": "7", "ver": 0, "exp": None}]
)
def test_a_signed_token_with_claims_of_the_wrong_shape_is_invalid(claims):
    settings = Settings(jwt_secret="k" * 40)
    token = jwt.encode(
        {"aud": "meetings-backoffice", "exp": 9999999999} | claims, "k" * 40, algorithm="HS256"
    )
    with pytest.raises(Unauthorized) as caught:
        decode_access_token(token, settings)
    assert caught.value.code == "invalid_token"
