"""Backoffice accounts: a MANAGER manages everyone, an ENTITY_ADMIN the admins of their own entity."""

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from meetings.errors import Conflict, Forbidden, NotFound, ValidationFailed
from meetings.identity.passwords import hash_password
from meetings.identity.principal import Principal
from meetings.identity.roles import UserRole
from meetings.manager.entities.access import get_active_entity
from meetings.manager.users.models import User
from meetings.manager.users.schemas import UserCreate, UserUpdate
from meetings.settings import get_settings


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


def update_user(*, db: Session, principal: Principal, user_id: int, data: UserUpdate) -> User:
    """Changes the fields sent; a new password is hashed again."""
    user = get_user(db=db, principal=principal, user_id=user_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("active") is False:
        _refuse_self_deactivation(principal, user)
    if changes.get("active") is True and user.entity_id is not None:
        get_active_entity(db=db, principal=principal, entity_id=user.entity_id)
    if "password" in changes:
        changes["password"] = hash_password(changes["password"], rounds=get_settings().bcrypt_rounds)
    for field, value in changes.items():
        setattr(user, field, value)
    db.flush()
    return user


def deactivate_user(*, db: Session, principal: Principal, user_id: int) -> User:
    """Soft-deletes an account: it can no longer log in, and its tokens stop working."""
    user = get_user(db=db, principal=principal, user_id=user_id)
    _refuse_self_deactivation(principal, user)
    user.active = False
    db.flush()
    return user


def deactivate_entity_users(*, db: Session, entity_id: int) -> int:
    """Deactivates every active user of a deleted entity; returns how many."""
    statement = update(User).where(User.entity_id == entity_id, User.active).values(active=False)
    return db.execute(statement, execution_options={"synchronize_session": False}).rowcount
