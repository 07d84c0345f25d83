"""The agent takes who someone is from the database: a LiveKit attribute claiming another type, or the
organizer flag, changes nothing; someone who is not in the room is not heard at all."""

from dataclasses import replace

from meetings.secretary.participants.models import ParticipantType
from tests.factories import make_participant


async def test_a_client_claiming_to_be_a_professional_stays_a_client(meeting_setup, build_meeting):
    meeting = build_meeting()
    claimed = replace(meeting_setup.client, type=ParticipantType.PROFESSIONAL, is_organizer=True)

    human = await meeting.confirmed(claimed)

    assert (human.type, human.is_organizer) == (ParticipantType.CLIENT, False)
    assert not human.is_professional


async def test_the_professional_is_confirmed_as_such(meeting_setup, build_meeting):
    meeting = build_meeting()

    human = await meeting.confirmed(replace(meeting_setup.professional, type=ParticipantType.CLIENT))

    assert human.type == ParticipantType.PROFESSIONAL


async def test_someone_outside_the_room_is_not_heard(meeting_setup, build_meeting):
    meeting = build_meeting()
    outsider = make_participant(meeting_setup.db)
    meeting_setup.db.flush()

    assert await meeting.confirmed(replace(meeting_setup.client, participant_id=outsider.id)) is None
    assert await meeting.confirmed(None) is None
