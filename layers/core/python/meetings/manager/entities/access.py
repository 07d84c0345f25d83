"""Which organizations a caller may see and change; every domain of an entity asks here first."""

from sqlalchemy.orm import Session

from meetings.errors import Conflict, Forbidden, NotFound
from meetings.identity.principal import Principal
from meetings.manager.entities.models import Entity


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
