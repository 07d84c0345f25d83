"""A room's composed instructions, for the agent and the note drafter (no web framework: jobs import it)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from meetings.manager.departments.models import Department
from meetings.manager.entities.models import Entity
from meetings.secretary.rooms.models import Room


def composed_instructions(*, db: Session, room: Room) -> str:
    """The agent's instructions: entity default, department and room prompt, separated by blank lines."""
    entity_part, department_part = db.execute(
        select(Entity.default_instructions, Department.instructions)
        .select_from(Room)
        .outerjoin(Entity, Entity.id == Room.entity_id)
        .outerjoin(Department, Department.id == Room.department_id)
        .where(Room.id == room.id)
    ).one()
    return _composed(entity_part, department_part, room.custom_prompt)


def room_with_instructions(*, db: Session, room_id: str) -> tuple[Room, str]:
    """The room and its composed instructions, read in one statement."""
    room, entity_part, department_part = db.execute(
        select(Room, Entity.default_instructions, Department.instructions)
        .outerjoin(Entity, Entity.id == Room.entity_id)
        .outerjoin(Department, Department.id == Room.department_id)
        .where(Room.id == room_id)
    ).one()
    return room, _composed(entity_part, department_part, room.custom_prompt)


def _composed(*parts: str | None) -> str:
    return "\n\n".join(part.strip() for part in parts if part and part.strip())
