"""Who counts as a human participant: the platform's attributes decide, never the display name."""

from agent_container.meeting_agent.room_gateway import human_from_attributes
from meetings.meeting_protocol import ATTR_IS_ORGANIZER, ATTR_PARTICIPANT_ID, ATTR_PARTICIPANT_TYPE
from meetings.secretary.participants.models import ParticipantType


def test_a_professional_is_read_from_the_token_attributes():
    human = human_from_attributes(
        "participant-12",
        "Dr. Ana",
        {ATTR_PARTICIPANT_ID: "12", ATTR_PARTICIPANT_TYPE: "PROFESSIONAL", ATTR_IS_ORGANIZER: "true"},
    )
    assert (human.participant_id, human.type, human.is_professional, human.is_organizer) == (
        12,
        ParticipantType.PROFESSIONAL,
        True,
        True,
    )


def test_the_identity_gives_the_id_when_the_attribute_is_missing():
    human = human_from_attributes("participant-7", "Bruno", {ATTR_PARTICIPANT_TYPE: "CLIENT"})
    assert (human.participant_id, human.is_professional) == (7, False)


def test_agents_recorders_and_strangers_are_not_humans():
    assert (
        human_from_attributes(
            "agent-AJ_1", "assistant", {ATTR_PARTICIPANT_TYPE: "AGENT", ATTR_PARTICIPANT_ID: "3"}
        )
        is None
    )
    assert human_from_attributes("EG_recorder", "", {}) is None
    assert human_from_attributes("someone", "Dr. Fake", {ATTR_PARTICIPANT_TYPE: "PROFESSIONAL"}) is None
    assert human_from_attributes("participant-9", "x", {ATTR_PARTICIPANT_TYPE: "ADMIN"}) is None
