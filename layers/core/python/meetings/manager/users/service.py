"""Backoffice accounts: a MANAGER manages everyone, an ENTITY_ADMIN the admins of their own entity."""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from meetings.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from meetings.identity.passwords import hash_password, hash_token, verify_password
from meetings.identity.principal import Principal
from meetings.identity.roles import UserRole
from meetings.log import logger
from meetings.manager.entities.access import get_active_entity
from meetings.manager.users.models import User
from meetings.manager.users.schemas import UserCreate, UserUpdate
from meetings.settings import get_settings

PASSWORD_RESET_VALIDITY = timedelta(hours=1)
# Changing any of these ends the user's sessions.
SESSION_FIELDS = ("password", "email", "role")


def get_user(*, db: Session, principal: Principal, user_id: int) -> User:
    """A user the caller may see; users of other entities (and managers, for an admin) read as missing."""
    user = db.get(User, user_id)
    if user is None or not principal.can_access_entity(user.entity_id):
        raise NotFound("User not found.", code="user_not_found", details={"user_id": user_id})
    return user


def list_users_query(
    *,
    principal: Principal,
    active: bool | None = None,
    entity_id: int | None = None,
    role: UserRole | None = None,
    q: str | None = None,
) -> Select:
    """The users the caller may see, filtered, ordered by id."""
    statement = select(User).order_by(User.id)
    if not principal.is_manager:
        statement = statement.where(User.entity_id == principal.entity_id)
    if active is not None:
        statement = statement.where(User.active.is_(active))
    if entity_id is not None:
        statement = statement.where(User.entity_id == entity_id)
    if role is not None:
        statement = statement.where(User.role == role)
    if q:
        statement = statement.where(
            or_(User.email.icontains(q, autoescape=True), User.phone_number.contains(q, autoescape=True))
        )
    return statement


def _entity_for_new_user(db: Session, principal: Principal, data: UserCreate) -> int | None:
    if data.role == UserRole.MANAGER:
        if not principal.is_manager:
            raise Forbidden("Only a platform manager may create managers.", code="forbidden_role")
        if data.entity_id is not None:
            raise ValidationFailed.for_field(
                "entity_id", "entity_not_allowed", "A MANAGER has no entity: entity_id must be null."
            )
        return None
    entity_id = data.entity_id if data.entity_id is not None else principal.entity_id
    if entity_id is None:
        raise ValidationFailed.for_field(
            "entity_id", "entity_required", "An ENTITY_ADMIN needs an entity_id."
        )
    return get_active_entity(db=db, principal=principal, entity_id=entity_id).id


def create_user(*, db: Session, principal: Principal, data: UserCreate) -> User:
    """Creates an account with a freshly hashed password."""
    entity_id = _entity_for_new_user(db, principal, data)
    user = User(
        email=data.email,
        password=hash_password(data.password, rounds=get_settings().bcrypt_rounds),
        phone_number=data.phone_number,
        role=data.role,
        entity_id=entity_id,
    )
    db.add(user)
    db.flush()
    return user


def _refuse_self_deactivation(principal: Principal, user: User) -> None:
    if user.id == principal.user_id:
        raise Conflict("You cannot deactivate your own account.", code="cannot_deactivate_self")


def _check_credential_change(principal: Principal, user: User, changes: dict, current: str | None) -> None:
    """Own password or email: with the current password. Another's password: never; email: a MANAGER."""
    if not {"password", "email"} & changes.keys():
        return
    if user.id == principal.user_id:
        if current is None:
            raise ValidationFailed.for_field(
                "current_password", "current_password_required", "Give your current password to change it."
            )
        if not verify_password(current, user.password):
            raise Forbidden("The current password is not right.", code="invalid_current_password")
    elif "password" in changes:
        raise Forbidden(
            "Another user's password is reset, not set: POST /v1/users/{id}/password-reset.",
            code="password_reset_required",
        )
    elif not principal.is_manager:
        raise Forbidden(
            "Only the user or a platform manager may change an email.", code="email_change_forbidden"
        )


def end_sessions(user: User) -> None:
    """Makes every access token issued to the user so far stop working."""
    user.token_version += 1


def _close_account(user: User) -> None:
    """Deactivates: no login, and nothing issued before works again if the account is reactivated
    (neither its access tokens nor a pending password reset)."""
    user.active = False
    end_sessions(user)
    user.password_reset_hash = user.password_reset_expires_at = None


def update_user(*, db: Session, principal: Principal, user_id: int, data: UserUpdate) -> User:
    """Changes the fields sent; a new password is hashed again; credential changes end sessions."""
    user = get_user(db=db, principal=principal, user_id=user_id)
    changes = data.model_dump(exclude_unset=True)
    current = changes.pop("current_password", None)
    _check_credential_change(principal, user, changes, current)
    if any(field in changes and changes[field] != getattr(user, field) for field in SESSION_FIELDS):
        end_sessions(user)
    if changes.get("active") is False:
        _refuse_self_deactivation(principal, user)
        if user.active:
            _close_account(user)
    if changes.get("active") is True and user.entity_id is not None:
        get_active_entity(db=db, principal=principal, entity_id=user.entity_id)
    if "password" in changes:
        changes["password"] = hash_password(changes["password"], rounds=get_settings().bcrypt_rounds)
    for field, value in changes.items():
        setattr(user, field, value)
    db.flush()
    return user


def deactivate_user(*, db: Session, principal: Principal, user_id: int) -> User:
    """Soft-deletes an account: it can no longer log in, and its tokens stop working for good."""
    user = get_user(db=db, principal=principal, user_id=user_id)
    _refuse_self_deactivation(principal, user)
    if user.active:
        _close_account(user)
    db.flush()
    return user


def deactivate_entity_users(*, db: Session, entity_id: int) -> int:
    """Deactivates every active user of a deleted entity; returns how many."""
    statement = (
        update(User)
        .where(User.entity_id == entity_id, User.active)
        .values(
            active=False,
            token_version=User.token_version + 1,
            password_reset_hash=None,
            password_reset_expires_at=None,
        )
    )
    return db.execute(statement, execution_options={"synchronize_session": False}).rowcount


@dataclass(frozen=True)
class IssuedReset:
    """A one-time reset token, returned in the clear only here (the user row keeps its hash)."""

    reset_token: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"IssuedReset(expires_at={self.expires_at!r})"


def issue_password_reset(*, db: Session, principal: Principal, user_id: int) -> IssuedReset:
    """Gives a user the caller may see a one-time token to set a new password (an older one stops)."""
    user = get_user(db=db, principal=principal, user_id=user_id)
    if not user.active:
        raise Conflict("The user is deactivated.", code="user_inactive")
    token = secrets.token_urlsafe(32)
    user.password_reset_hash = hash_token(token)
    user.password_reset_expires_at = datetime.now(UTC) + PASSWORD_RESET_VALIDITY
    db.flush()
    logger.info("password reset issued", extra={"user_id": user.id, "issued_by": principal.user_id})
    return IssuedReset(reset_token=token, expires_at=user.password_reset_expires_at)


def complete_password_reset(*, db: Session, reset_token: str, password: str) -> User:
    """Sets the new password of the token's user, once, and ends their sessions."""
    user = db.execute(
        select(User)
        .where(User.password_reset_hash == hash_token(reset_token), User.active.is_(True))
        .with_for_update()
    ).scalar_one_or_none()
    if user is None or user.password_reset_expires_at <= datetime.now(UTC):
        raise BadRequest(
            "This reset token is not valid (unknown, used or expired).", code="invalid_reset_token"
        )
    user.password = hash_password(password, rounds=get_settings().bcrypt_rounds)
    user.password_reset_hash = None
    user.password_reset_expires_at = None
    end_sessions(user)
    db.flush()
    logger.info("password reset used", extra={"user_id": user.id})
    return user
