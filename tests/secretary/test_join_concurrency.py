"""Concurrent joins on committed data, each on its own connection: capacity is never exceeded."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.orm import Session

from meetings.errors import DomainError
from meetings.identity.passwords import hash_token
from meetings.livekit import livekit_gateway
from meetings.secretary.events.models import RoomEvent
from meetings.secretary.joins.service import join_with_password
from meetings.secretary.participants.models import Participant, RoomParticipant
from meetings.secretary.rooms.models import Room, RoomStatus
from tests.factories import make_participant, make_room
from tests.secretary.helpers import JOIN_PASSWORD, add_to_room

CAPACITY = 3
JOINERS = 12


@pytest.fixture
def committed_room(database_url, engine):
    """A room with JOINERS linked participants, committed; removed afterwards."""
    own_engine = create_engine(database_url, pool_size=JOINERS, max_overflow=0)
    with Session(own_engine) as session:
        room = make_room(session, max_participants=CAPACITY)
        participants = [make_participant(session) for _ in range(JOINERS)]
        tokens = [add_to_room(session, room, participant=p).token for p in participants]
        session.commit()
        room_id, participant_ids = room.id, [p.id for p in participants]
    try:
        yield own_engine, room_id, tokens
    finally:
        with Session(own_engine) as session:
            session.execute(delete(Room).where(Room.id == room_id))
            session.execute(delete(Participant).where(Participant.id.in_(participant_ids)))
            session.commit()
        own_engine.dispose()


def test_concurrent_joins_never_exceed_capacity(committed_room, livekit_server):
    own_engine, room_id, tokens = committed_room
    start = Barrier(JOINERS)

    def attempt(token: str) -> str:
        start.wait()
        with Session(own_engine) as session:
            try:
                join_with_password(db=session, token=token, password=JOIN_PASSWORD, livekit=livekit_gateway())
                session.commit()
                return "admitted"
            except DomainError as refusal:
                session.commit()
                return refusal.code

    with ThreadPoolExecutor(max_workers=JOINERS) as pool:
        outcomes = list(pool.map(attempt, tokens))

    assert outcomes.count("admitted") == CAPACITY
    assert outcomes.count("room_full") == JOINERS - CAPACITY
    with Session(own_engine) as session:
        room = session.get(Room, room_id)
        assert room.status == RoomStatus.ACTIVE
        names = [e.event_name for e in session.query(RoomEvent).filter_by(room_id=room_id)]
    assert names.count("ROOM_STARTED") == 1
    assert names.count("CAPACITY_REACHED") == JOINERS - CAPACITY
    assert len(livekit_server.method_calls("CreateDispatch")) == 1


def test_concurrent_wrong_passwords_lock_the_link_after_exactly_five(committed_room, livekit_server):
    own_engine, _, tokens = committed_room
    token, racers = tokens[0], 8
    start = Barrier(racers)

    def attempt(_: int) -> str:
        start.wait()
        with Session(own_engine) as session:
            try:
                join_with_password(db=session, token=token, password="00000000", livekit=livekit_gateway())
                session.commit()
                return "admitted"
            except DomainError as refusal:
                session.commit()
                return refusal.code

    with ThreadPoolExecutor(max_workers=racers) as pool:
        outcomes = list(pool.map(attempt, range(racers)))

    assert outcomes.count("invalid_password") == 4
    assert outcomes.count("link_locked") == racers - 4
    with Session(own_engine) as session:
        link = session.query(RoomParticipant).filter_by(magic_link_token_hash=hash_token(token)).one()
        assert link.failed_attempts == 5 and link.locked_until is not None


def test_concurrent_admissions_never_exceed_capacity(committed_room, livekit_server):
    from sqlalchemy import update

    from meetings.identity.principal import Principal
    from meetings.identity.roles import UserRole
    from meetings.secretary.joins.waiting import admit
    from meetings.secretary.participants.models import Admission
    from meetings.secretary.rooms.service import get_room

    own_engine, room_id, tokens = committed_room
    with Session(own_engine) as session:
        session.execute(
            update(RoomParticipant)
            .where(RoomParticipant.room_id == room_id)
            .values(admission=Admission.WAITING, admission_at=func.now())
        )
        waiting = list(
            session.scalars(select(RoomParticipant.participant_id).where(RoomParticipant.room_id == room_id))
        )
        session.commit()
    principal = Principal(user_id=1, role=UserRole.MANAGER, entity_id=None)
    start = Barrier(JOINERS)

    def attempt(participant_id: int) -> str:
        start.wait()
        with Session(own_engine) as session:
            try:
                room = get_room(db=session, principal=principal, room_id=room_id, for_update=True)
                admit(db=session, room=room, participant_id=participant_id)
                session.commit()
                return "admitted"
            except DomainError as refusal:
                session.rollback()
                return refusal.code

    with ThreadPoolExecutor(max_workers=JOINERS) as pool:
        outcomes = list(pool.map(attempt, waiting))

    assert outcomes.count("admitted") == CAPACITY
    assert outcomes.count("room_full") == JOINERS - CAPACITY
    with Session(own_engine) as session:
        admitted = session.scalar(
            select(func.count())
            .select_from(RoomParticipant)
            .where(RoomParticipant.room_id == room_id, RoomParticipant.admission == Admission.ADMITTED)
        )
        assert admitted == CAPACITY
