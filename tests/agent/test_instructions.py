"""The system prompt: fixed preamble, then entity, department and room instructions, in that order."""

from agent_container.meeting_agent.instructions import SYSTEM_PREAMBLE, MeetingContext, compose_instructions
from agent_container.meeting_agent.registration import load_meeting_context


def context(**changes) -> MeetingContext:
    values = dict(
        room_id="r1",
        livekit_room="lk-r1",
        title="Consultation",
        entity_id=1,
        entity_name="Sunrise Clinic",
        department_id=2,
        department_name="Cardiology",
        entity_instructions="ENTITY RULES",
        department_instructions="DEPARTMENT RULES",
        custom_prompt="ROOM RULES",
    )
    return MeetingContext(**{**values, **changes})


def test_preamble_then_entity_then_department_then_room():
    prompt = compose_instructions(context())
    assert prompt.startswith(SYSTEM_PREAMBLE)
    positions = [prompt.index(part) for part in ("ENTITY RULES", "DEPARTMENT RULES", "ROOM RULES")]
    assert positions == sorted(positions)
    assert "Sunrise Clinic" in prompt and "Cardiology" in prompt


def test_missing_or_blank_parts_leave_no_empty_sections():
    prompt = compose_instructions(context(entity_instructions="  ", department_instructions=None, custom_prompt=""))
    assert prompt == f"{SYSTEM_PREAMBLE}\n\nMeeting: Consultation"


def test_a_room_without_entity_still_gets_the_preamble_and_its_prompt():
    prompt = compose_instructions(
        context(entity_id=None, entity_name=None, entity_instructions=None, department_id=None, department_instructions=None)
    )
    assert prompt.startswith(SYSTEM_PREAMBLE)
    assert prompt.endswith("Instructions for this meeting:\nROOM RULES")


def test_instructions_come_from_the_rows_of_the_meeting(meeting_setup):
    prompt = compose_instructions(load_meeting_context(db=meeting_setup.db, room_id=meeting_setup.room.id))
    entity = prompt.index("Speak as the Sunrise Clinic team.")
    department = prompt.index("Focus on cardiology follow-up.")
    room = prompt.index("The client is recovering from a stent procedure.")
    assert prompt.index(SYSTEM_PREAMBLE) < entity < department < room


def test_an_unknown_room_is_not_found(db):
    import pytest

    from meetings.errors import NotFound

    with pytest.raises(NotFound):
        load_meeting_context(db=db, room_id="no-such-room")
