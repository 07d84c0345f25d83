"""The participants directory: clients, professionals and agents who take part in meetings.

Tenancy: a participant belongs to the entity whose room it was added to (`entity_id`; NULL for rows a
MANAGER made outside any entity and for rows several entities shared before tenancy). A MANAGER sees
every participant. An ENTITY_ADMIN sees the participants of their entity, those in one of their rooms,
and the participants of professionals linked to their entity; they change only rows of their own entity
that no other entity's room or link shares. Find-or-create looks only inside the room's entity.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session

from meetings.errors import Conflict, Forbidden, NotFound, ValidationFailed
from meetings.identity.principal import Principal
from meetings.manager.professionals.models import Professional, ProfessionalEntity
from meetings.secretary.participants.models import Participant, ParticipantType, RoomParticipant
from meetings.secretary.participants.schemas import ParticipantCreate, ParticipantUpdate
from meetings.secretary.rooms.models import Room


def visible_participants(principal: Principal) -> Select:
    """Participants the caller may see."""
    statement = select(Participant)
    if principal.is_manager:
        return statement
    in_entity_room = exists().where(
        RoomParticipant.participant_id == Participant.id,
        RoomParticipant.room_id == Room.id,
        Room.entity_id == principal.entity_id,
    )
    linked_professional = exists().where(
        ProfessionalEntity.professional_id == Participant.professional_id,
        ProfessionalEntity.entity_id == principal.entity_id,
        ProfessionalEntity.active.is_(True),
    )
    return statement.where(
        or_(Participant.entity_id == principal.entity_id, in_entity_room, linked_professional)
    )


def get_participant(*, db: Session, principal: Principal, participant_id: int) -> Participant:
    """Returns a participant the caller may see, or 404 as if it did not exist."""
    participant = db.execute(
        visible_participants(principal).where(Participant.id == participant_id)
    ).scalar_one_or_none()
    if participant is None:
        raise NotFound("Participant not found.", code="participant_not_found")
    return participant


def list_participants(
    *,
    principal: Principal,
    type: ParticipantType | None = None,
    phone_number: str | None = None,
    external_id: str | None = None,
) -> Select:
    """Builds the query of the caller's participants, by name."""
    statement = visible_participants(principal)
    if type is not None:
        statement = statement.where(Participant.type == type)
    if phone_number is not None:
        statement = statement.where(Participant.phone_number == phone_number)
    if external_id is not None:
        statement = statement.where(Participant.external_id == external_id)
    return statement.order_by(Participant.name, Participant.id)


def _check_professional(db: Session, principal: Principal, professional_id: int) -> None:
    professional = db.get(Professional, professional_id)
    linked = (
        principal.is_manager
        or db.execute(
            select(
                exists().where(
                    ProfessionalEntity.professional_id == professional_id,
                    ProfessionalEntity.entity_id == principal.entity_id,
                    ProfessionalEntity.active.is_(True),
                )
            )
        ).scalar()
    )
    if professional is None or not professional.active or not linked:
        raise ValidationFailed(
            "Professional not found.", code="invalid_professional", details={"field": "professional_id"}
        )


def create_participant(*, db: Session, principal: Principal, data: ParticipantCreate) -> Participant:
    """Adds a participant to the directory (of the caller's entity; a MANAGER's belongs to none).

    An ENTITY_ADMIN adds PROFESSIONAL participants here; clients and agents join their directory when
    added to one of their rooms (POST /v1/rooms/{id}/participants), which keeps them visible.
    """
    if not principal.is_manager and data.type != ParticipantType.PROFESSIONAL:
        raise Forbidden(
            "Add clients and agents through a room: POST /v1/rooms/{id}/participants.",
            code="add_through_room",
        )
    return _insert_participant(db=db, principal=principal, data=data, entity_id=principal.entity_id)


def _insert_participant(
    *, db: Session, principal: Principal, data: ParticipantCreate, entity_id: int | None
) -> Participant:
    if data.professional_id is not None:
        _check_professional(db, principal, data.professional_id)
    participant = Participant(**data.model_dump(), entity_id=entity_id)
    db.add(participant)
    db.flush()
    return participant


def _of_entity(entity_id: int | None) -> ColumnElement[bool]:
    return Participant.entity_id.is_not_distinct_from(entity_id)


def _first(db: Session, *conditions) -> Participant | None:
    statement = select(Participant).where(*conditions).order_by(Participant.id).limit(1)
    return db.execute(statement).scalar_one_or_none()


def find_or_create_participant(
    *, db: Session, principal: Principal, entity_id: int | None, data: ParticipantCreate
) -> Participant:
    """The entity's participant with the same external_id, or else the same phone and type (for a
    PROFESSIONAL: the participant of that professional); created in the entity if none."""
    if data.professional_id is not None:
        _check_professional(db, principal, data.professional_id)
    found = None
    if data.external_id is not None:
        found = _first(db, _of_entity(entity_id), Participant.external_id == data.external_id)
    if found is None and data.type == ParticipantType.PROFESSIONAL:
        found = _first(db, Participant.professional_id == data.professional_id)
    elif found is None:
        found = _first(
            db,
            _of_entity(entity_id),
            Participant.phone_number == data.phone_number,
            Participant.type == data.type,
        )
    if found is None:
        return _insert_participant(db=db, principal=principal, data=data, entity_id=entity_id)
    if found.type != data.type:
        raise Conflict(
            "That external_id belongs to a participant of another type.",
            code="participant_type_mismatch",
            details={"existing_type": found.type},
        )
    if found.professional_id != data.professional_id:
        raise Conflict(
            "That external_id belongs to the participant of another professional.",
            code="participant_professional_mismatch",
        )
    return found


def find_or_create_agent_participant(
    *, db: Session, entity_id: int | None, name: str, phone_number: str
) -> Participant:
    """The entity's AGENT participant with this name and number, created on first use."""
    agent = _first(
        db,
        _of_entity(entity_id),
        Participant.type == ParticipantType.AGENT,
        Participant.name == name,
        Participant.phone_number == phone_number,
    )
    if agent is None:
        agent = Participant(
            name=name, type=ParticipantType.AGENT, phone_number=phone_number, entity_id=entity_id
        )
        db.add(agent)
        db.flush()
    return agent


@dataclass(frozen=True)
class RoomRole:
    type: ParticipantType
    is_organizer: bool


def participant_roles(*, db: Session, room_id: str, participant_ids: list[int]) -> dict[int, RoomRole]:
    """The type and organizer flag of each of these participants that is in the room, as the database
    holds them (the meeting agent trusts these, never a participant's LiveKit attributes)."""
    statement = (
        select(Participant.id, Participant.type, RoomParticipant.is_organizer)
        .join(RoomParticipant, RoomParticipant.participant_id == Participant.id)
        .where(RoomParticipant.room_id == room_id, Participant.id.in_(participant_ids))
    )
    return {
        participant_id: RoomRole(type=type_, is_organizer=organizer)
        for participant_id, type_, organizer in db.execute(statement)
    }


def _require_editable(db: Session, principal: Principal, participant: Participant) -> None:
    """An ENTITY_ADMIN changes only their entity's rows that no other entity's room or link shares."""
    if principal.is_manager:
        return
    # Other entities' rooms and links are out of the caller's row-level security scope: the database answers.
    shared = db.execute(
        select(func.participant_shared_elsewhere(participant.id, principal.entity_id))
    ).scalar()
    if participant.entity_id != principal.entity_id or shared:
        raise Forbidden(
            "Other entities share this participant; ask a platform manager to change them.",
            code="participant_shared",
        )


def update_participant(
    *, db: Session, principal: Principal, participant_id: int, data: ParticipantUpdate
) -> Participant:
    """Changes a participant's contact data."""
    participant = get_participant(db=db, principal=principal, participant_id=participant_id)
    _require_editable(db, principal, participant)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(participant, field, value)
    db.flush()
    db.refresh(participant)
    return participant


def delete_participant(*, db: Session, principal: Principal, participant_id: int) -> None:
    """Removes a participant that is in no room (meeting history keeps the others)."""
    participant = get_participant(db=db, principal=principal, participant_id=participant_id)
    _require_editable(db, principal, participant)
    in_room = db.execute(select(exists().where(RoomParticipant.participant_id == participant.id))).scalar()
    if in_room:
        raise Conflict("The participant is in a room; remove them from it first.", code="participant_in_room")
    db.delete(participant)
    db.flush()


@dataclass(frozen=True)
class ReferencedRows:
    """The participants and professionals a list of answers refers to, by id."""

    participants: dict[int, Participant]
    professionals: dict[int, Professional]


def load_referenced_rows(
    *, db: Session, participants: list[Participant] = (), room_participants: list[RoomParticipant] = ()
) -> ReferencedRows:
    """Loads what a list of answers refers to with one query per table, however many rows."""
    by_id = {participant.id: participant for participant in participants}
    missing = {row.participant_id for row in room_participants} - by_id.keys()
    if missing:
        by_id.update(
            (participant.id, participant)
            for participant in db.execute(select(Participant).where(Participant.id.in_(missing))).scalars()
        )
    professional_ids = {p.professional_id for p in by_id.values() if p.professional_id is not None}
    professionals = (
        {
            p.id: p
            for p in db.execute(select(Professional).where(Professional.id.in_(professional_ids))).scalars()
        }
        if professional_ids
        else {}
    )
    return ReferencedRows(participants=by_id, professionals=professionals)


def professional_of(db: Session, participant: Participant) -> Professional | None:
    return db.get(Professional, participant.professional_id) if participant.professional_id else None
