"""Organizations: who may see them, their lifecycle, and the cascade when one is deleted."""

from dataclasses import dataclass

from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session

from meetings.errors import Conflict, Forbidden, NotFound
from meetings.identity.principal import Principal
from meetings.manager.departments.models import Department
from meetings.manager.entities.models import Entity
from meetings.manager.entities.schemas import EntityCreate, EntityUpdate
from meetings.manager.knowledge.models import KnowledgeChunk, KnowledgeDocument
from meetings.manager.professionals.models import ProfessionalEntity
from meetings.manager.users.models import User
from meetings.secretary.rooms.models import Room, RoomStatus


def require_manager(principal: Principal) -> None:
    """Raises 403 unless the caller is a platform MANAGER."""
    if not principal.is_manager:
        raise Forbidden("Only a platform manager may do this.", code="forbidden_role")


def get_entity(*, db: Session, principal: Principal, entity_id: int) -> Entity:
    """An entity the caller may see; another organization's id reads exactly like a missing one."""
    entity = db.get(Entity, entity_id) if principal.can_access_entity(entity_id) else None
    if entity is None:
        raise NotFound("Entity not found.", code="entity_not_found", details={"entity_id": entity_id})
    return entity


def get_active_entity(*, db: Session, principal: Principal, entity_id: int) -> Entity:
    """An entity the caller may see and that still accepts changes."""
    entity = get_entity(db=db, principal=principal, entity_id=entity_id)
    if not entity.active:
        raise Conflict("The entity is deleted.", code="entity_inactive", details={"entity_id": entity_id})
    return entity


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


def create_entity(*, db: Session, principal: Principal, data: EntityCreate) -> Entity:
    """Creates an organization (managers only)."""
    require_manager(principal)
    entity = Entity(**data.model_dump())
    db.add(entity)
    db.flush()
    return entity


def update_entity(*, db: Session, principal: Principal, entity_id: int, data: EntityUpdate) -> Entity:
    """Changes the fields sent."""
    entity = get_active_entity(db=db, principal=principal, entity_id=entity_id)
    for field, value in data.model_dump(exclude_unset=True).items():
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
    entity = get_entity(db=db, principal=principal, entity_id=entity_id)
    require_manager(principal)
    if not entity.active:
        return EntityDeletion(entity, 0, 0, 0, 0, 0, 0)

    def count(statement) -> int:
        return db.execute(statement, execution_options={"synchronize_session": False}).rowcount

    entity.active = False
    deletion = EntityDeletion(
        entity=entity,
        departments_deactivated=count(
            update(Department)
            .where(Department.entity_id == entity_id, Department.active)
            .values(active=False)
        ),
        professional_links_deactivated=count(
            update(ProfessionalEntity)
            .where(ProfessionalEntity.entity_id == entity_id, ProfessionalEntity.active)
            .values(active=False)
        ),
        users_deactivated=count(
            update(User).where(User.entity_id == entity_id, User.active).values(active=False)
        ),
        knowledge_chunks_deleted=count(delete(KnowledgeChunk).where(KnowledgeChunk.entity_id == entity_id)),
        knowledge_documents_deleted=count(
            delete(KnowledgeDocument).where(KnowledgeDocument.entity_id == entity_id)
        ),
        rooms_canceled=count(
            update(Room)
            .where(Room.entity_id == entity_id, Room.status == RoomStatus.SCHEDULED)
            .values(status=RoomStatus.CANCELED)
        ),
    )
    db.flush()
    db.expire_all()
    return deletion
