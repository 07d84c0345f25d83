"""Participant lists read their participants and professionals in one query per table, however many rows."""

from meetings.secretary.participants.models import ParticipantType
from tests.factories import make_participant, make_professional, make_room
from tests.secretary.helpers import add_to_room
from tests.support.statements import counted_statements


def room_with_professionals(db, count: int):
    room = make_room(db)
    for _ in range(count):
        professional = make_professional(db)
        add_to_room(
            db, room, make_participant(db, type=ParticipantType.PROFESSIONAL, professional_id=professional.id)
        )
    db.expunge_all()
    return room


def test_room_participant_list_queries_do_not_grow_with_its_rows(client, auth_headers, manager, db):
    headers = auth_headers(manager)
    small, large = room_with_professionals(db, 2), room_with_professionals(db, 8)
    db.expunge_all()
    with counted_statements(db) as few:
        assert len(client.get(f"/v1/rooms/{small.id}/participants", headers=headers).json()["items"]) == 2
    db.expunge_all()
    with counted_statements(db) as many:
        answer = client.get(f"/v1/rooms/{large.id}/participants", headers=headers).json()["items"]
    assert len(answer) == 8 and all(row["participant"]["professional"] for row in answer)
    assert len(many) == len(few)


def test_directory_page_queries_do_not_grow_with_its_rows(client, auth_headers, manager, db):
    headers = auth_headers(manager)
    room_with_professionals(db, 8)
    db.expunge_all()
    with counted_statements(db) as few:
        client.get("/v1/participants?type=PROFESSIONAL&limit=2", headers=headers)
    db.expunge_all()
    with counted_statements(db) as many:
        answer = client.get("/v1/participants?type=PROFESSIONAL&limit=8", headers=headers).json()
    assert len(answer["items"]) == 8 and all(p["professional"] for p in answer["items"])
    assert len(many) == len(few)
