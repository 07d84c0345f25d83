"""The participants directory: clients, professionals and agents who take part in meetings.

Tenancy: a MANAGER sees every participant. An ENTITY_ADMIN sees a participant that is in a room of
their entity, or that is the participant of a professional linked to their entity.
"""

from dataclasses import dataclass

from sqlalchemy import Select, exists, or_, select
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
    return statement.where(or_(in_entity_room, linked_professional))


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
    """Adds a participant to the directory.

    An ENTITY_ADMIN adds PROFESSIONAL participants here; clients and agents join their directory when
    added to one of their rooms (POST /v1/rooms/{id}/participants), which keeps them visible.
    """
    if not principal.is_manager and data.type != ParticipantType.PROFESSIONAL:
        raise Forbidden(
            "Add clients and agents through a room: POST /v1/rooms/{id}/participants.",
            code="add_through_room",
        )
    return _insert_participant(db=db, principal=principal, data=data)


def _insert_participant(*, db: Session, principal: Principal, data: ParticipantCreate) -> Participant:
    if data.professional_id is not None:
        _check_professional(db, principal, data.professional_id)
    participant = Participant(**data.model_dump())
    db.add(participant)
    db.flush()
    return participant


def find_or_create_participant(*, db: Session, principal: Principal, data: ParticipantCreate) -> Participant:
    """The participant with the same external_id, or else the same phone and type; created if none."""
    found = None
    if data.external_id is not None:
        found = db.execute(
            select(Participant)
            .where(Participant.external_id == data.external_id)
            .order_by(Participant.id)
            .limit(1)
        ).scalar_one_or_none()
    if found is None:
        found = db.execute(
            select(Participant)
            .where(Participant.phone_number == data.phone_number, Participant.type == data.type)
            .order_by(Participant.id)
            .limit(1)
        ).scalar_one_or_none()
    if found is not None:
        if found.type != data.type:
            raise Conflict(
                "That external_id belongs to a participant of another type.",
                code="participant_type_mismatch",
                details={"existing_type": found.type},
            )
        return found
    return _insert_participant(db=db, principal=principal, data=data)


def update_participant(
    *, db: Session, principal: Principal, participant_id: int, data: ParticipantUpdate
) -> Participant:
    """Changes a participant's contact data."""
    participant = get_participant(db=db, principal=principal, participant_id=participant_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(participant, field, value)
    db.flush()
    db.refresh(participant)
    return participant


def delete_participant(*, db: Session, principal: Principal, participant_id: int) -> None:
    """Removes a participant that is in no room (meeting history keeps the others)."""
    participant = get_participant(db=db, principal=principal, participant_id=participant_id)
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
