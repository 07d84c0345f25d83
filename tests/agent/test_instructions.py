"""The system prompt: fixed preamble and meeting title, then the room's composed instructions — entity,
department and room instructions, in that order, exactly as the organizer sees them on the room."""

from agent_container.meeting_agent.instructions import SYSTEM_PREAMBLE, MeetingContext, compose_instructions
from agent_container.meeting_agent.registration import load_meeting_context
from meetings.secretary.rooms.instructions import composed_instructions


def context(**changes) -> MeetingContext:
    values = dict(
        room_id="r1",
        livekit_room="lk-r1",
        title="Consultation",
        entity_id=1,
        department_id=2,
        instructions="ENTITY RULES\n\nDEPARTMENT RULES\n\nROOM RULES",
    )
    return MeetingContext(**{**values, **changes})


def test_preamble_then_title_then_the_composed_instructions():
    prompt = compose_instructions(context())
    assert (
        prompt
        == f"{SYSTEM_PREAMBLE}\n\nMeeting: Consultation\n\nENTITY RULES\n\nDEPARTMENT RULES\n\nROOM RULES"
    )


def test_missing_or_blank_parts_leave_no_empty_sections(meeting_setup):
    db = meeting_setup.db
    meeting_setup.entity.default_instructions = "  "
    meeting_setup.department.instructions = None
    meeting_setup.room.custom_prompt = ""
    db.flush()
    prompt = compose_instructions(load_meeting_context(db=db, room_id=meeting_setup.room.id))
    assert prompt == f"{SYSTEM_PREAMBLE}\n\nMeeting: Follow-up consultation"
    assert compose_instructions(context(instructions="")) == f"{SYSTEM_PREAMBLE}\n\nMeeting: Consultation"


def test_a_room_without_entity_still_gets_the_preamble_and_its_prompt(meeting_setup):
    db = meeting_setup.db
    room = meeting_setup.room
    room.department_id = None
    room.entity_id = None
    room.custom_prompt = "ROOM RULES"
    db.flush()
    prompt = compose_instructions(load_meeting_context(db=db, room_id=room.id))
    assert prompt.startswith(SYSTEM_PREAMBLE)
    assert prompt.endswith("ROOM RULES")
    assert "Sunrise Clinic" not in prompt and "cardiology" not in prompt


def test_instructions_come_from_the_rows_of_the_meeting(meeting_setup):
    prompt = compose_instructions(load_meeting_context(db=meeting_setup.db, room_id=meeting_setup.room.id))
    entity = prompt.index("Speak as the Sunrise Clinic team.")
    department = prompt.index("Focus on cardiology follow-up.")
    room = prompt.index("The client is recovering from a stent procedure.")
    assert prompt.index(SYSTEM_PREAMBLE) < entity < department < room


def test_the_agent_is_told_what_the_organizer_sees_on_the_room(meeting_setup):
    db, room = meeting_setup.db, meeting_setup.room
    context = load_meeting_context(db=db, room_id=room.id)
    assert context.instructions == composed_instructions(db=db, room=room)
    assert compose_instructions(context).endswith(composed_instructions(db=db, room=room))


def test_an_unknown_room_is_not_found(db):
    import pytest

    from meetings.errors import NotFound

    with pytest.raises(NotFound):
        load_meeting_context(db=db, room_id="no-such-room")
