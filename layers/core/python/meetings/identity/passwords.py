"""Password hashing (bcrypt): users' passwords and magic-link passwords; one-time tokens (SHA-256)."""

import hashlib
from functools import lru_cache

import bcrypt

BCRYPT_MAX_PASSWORD_BYTES = 72


def hash_password(plain: str, *, rounds: int) -> str:
    """Hashes a password with bcrypt at the given cost."""
    return bcrypt.hashpw(plain.encode(), bcrypt.gensalt(rounds=rounds)).decode()


def verify_password(plain: str, hashed: str) -> bool:
    """Checks a password against a bcrypt hash; a malformed hash never matches."""
    try:
        return bcrypt.checkpw(plain.encode(), hashed.encode())
    except ValueError:
        return False


@lru_cache
def dummy_hash(rounds: int) -> str:
    """A hash to check against when there is no account, so both answers take the same time."""
    return hash_password("no-such-account", rounds=rounds)


def hash_token(token: str) -> str:
    """SHA-256 (hex) of a random one-time token: what is stored and looked up instead of the token.

    The tokens carry 122 bits or more of randomness, so a fast hash is enough (no bcrypt on lookups).
    """
    return hashlib.sha256(token.encode()).hexdigest()
