"""A room's composed instructions, read with the room or for a room already loaded."""

from meetings.secretary.rooms.instructions import composed_instructions, room_with_instructions
from tests.factories import make_department, make_entity, make_room


def test_the_room_comes_with_the_entity_department_and_room_parts_in_that_order(db):
    entity = make_entity(db, default_instructions="  Be brief. ")
    department = make_department(db, entity, instructions="Cardiology context.")
    room = make_room(db, entity, department, custom_prompt="Discuss the exam.")
    db.expunge_all()

    loaded, instructions = room_with_instructions(db=db, room_id=room.id)

    assert loaded.id == room.id and loaded.department_id == department.id
    assert instructions == "Be brief.\n\nCardiology context.\n\nDiscuss the exam."
    assert instructions == composed_instructions(db=db, room=loaded)


def test_missing_and_blank_parts_are_left_out(db):
    entity = make_entity(db, default_instructions="   ")
    room = make_room(db, entity, custom_prompt="Only this.")

    assert room_with_instructions(db=db, room_id=room.id)[1] == "Only this."
    assert room_with_instructions(db=db, room_id=make_room(db).id)[1] == ""
