"""Organizations: who may see them, their lifecycle, and the cascade when one is deleted."""

import re
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from meetings.errors import Forbidden
from meetings.identity.principal import Principal
from meetings.manager.entities.access import get_active_entity, get_entity, require_manager
from meetings.manager.entities.models import Entity
from meetings.manager.entities.schemas import EntityCreate, EntityUpdate


def list_entities_query(
    *, principal: Principal, active: bool | None = None, type: str | None = None, q: str | None = None
) -> Select:
    """The entities the caller may see, filtered, ordered by id."""
    statement = select(Entity).order_by(Entity.id)
    if not principal.is_manager:
        statement = statement.where(Entity.id == principal.entity_id)
    if active is not None:
        statement = statement.where(Entity.active.is_(active))
    if type:
        statement = statement.where(Entity.type == type)
    if q:
        statement = statement.where(Entity.name.icontains(q, autoescape=True))
    return statement


HEALTH_TYPE = re.compile(r"clinic|medic|health|hospital|therap|psych|dental|care", re.IGNORECASE)


def waiting_room_default(entity_type: str) -> bool:
    """On where a patient must not walk in on another's consultation; off elsewhere (classes, agencies)."""
    return HEALTH_TYPE.search(entity_type) is not None


def create_entity(*, db: Session, principal: Principal, data: EntityCreate) -> Entity:
    """Creates an organization (managers only)."""
    require_manager(principal)
    fields = data.model_dump()
    if fields["waiting_room"] is None:
        fields["waiting_room"] = waiting_room_default(data.type)
    entity = Entity(**fields)
    db.add(entity)
    db.flush()
    return entity


# The plan: limits the platform sells. An ENTITY_ADMIN may lower them, never raise them.
PLAN_LIMITS = ("max_participants", "recording_retention_days")


def _check_admin_changes(principal: Principal, entity: Entity, changes: dict) -> None:
    """An ENTITY_ADMIN neither raises their plan nor renames their entity (names are unique across
    tenants: a rename would tell them which names other entities use)."""
    if principal.is_manager:
        return
    if "name" in changes and changes["name"] != entity.name:
        raise Forbidden(
            "Only a platform manager may rename an entity.", code="forbidden_field", details={"field": "name"}
        )
    for field in PLAN_LIMITS:
        if field in changes and changes[field] > getattr(entity, field):
            raise Forbidden(
                "Only a platform manager may raise the entity's plan limits.",
                code="plan_limit",
                details={"field": field, "current": getattr(entity, field)},
            )


def update_entity(*, db: Session, principal: Principal, entity_id: int, data: EntityUpdate) -> Entity:
    """Changes the fields sent (an ENTITY_ADMIN: not the name, and plan limits only downwards)."""
    entity = get_active_entity(db=db, principal=principal, entity_id=entity_id)
    changes = data.model_dump(exclude_unset=True)
    _check_admin_changes(principal, entity, changes)
    for field, value in changes.items():
        setattr(entity, field, value)
    db.flush()
    return entity


@dataclass(frozen=True)
class EntityDeletion:
    entity: Entity
    departments_deactivated: int
    professional_links_deactivated: int
    users_deactivated: int
    knowledge_chunks_deleted: int
    knowledge_documents_deleted: int
    rooms_canceled: int


def delete_entity(*, db: Session, principal: Principal, entity_id: int) -> EntityDeletion:
    """Soft-deletes an organization and cascades in the caller's transaction (managers only).

    Departments, professional links and users become inactive; the knowledge base is removed; rooms
    still SCHEDULED are canceled. Meetings in progress, past rooms, recordings, events and usage stay.
    """
    # Each domain's part of the cascade loads here, so that the other entity routes load no other domain.
    from meetings.manager.departments.service import deactivate_entity_departments
    from meetings.manager.knowledge.service import delete_entity_knowledge
    from meetings.manager.professionals.service import deactivate_entity_links
    from meetings.manager.users.service import deactivate_entity_users
    from meetings.secretary.rooms.service import cancel_scheduled_rooms_of_entity

    entity = get_entity(db=db, principal=principal, entity_id=entity_id)
    require_manager(principal)
    if not entity.active:
        return EntityDeletion(entity, 0, 0, 0, 0, 0, 0)

    entity.active = False
    chunks_deleted, documents_deleted = delete_entity_knowledge(db=db, entity_id=entity_id)
    deletion = EntityDeletion(
        entity=entity,
        departments_deactivated=deactivate_entity_departments(db=db, entity_id=entity_id),
        professional_links_deactivated=deactivate_entity_links(db=db, entity_id=entity_id),
        users_deactivated=deactivate_entity_users(db=db, entity_id=entity_id),
        knowledge_chunks_deleted=chunks_deleted,
        knowledge_documents_deleted=documents_deleted,
        rooms_canceled=cancel_scheduled_rooms_of_entity(db=db, entity_id=entity_id),
    )
    db.flush()
    db.expire_all()
    return deletion
