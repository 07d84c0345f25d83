"""GET /v1/rooms/{room_id}/transcript: JSON, WebVTT (read back by webvtt-py) and text, in time order."""

import io

import pytest
import webvtt

from meetings.db_roles import AGENT_ROLE
from meetings.secretary.participants.models import ParticipantType
from meetings.secretary.rooms.models import RoomStatus
from meetings.secretary.transcripts.service import record_transcript_segment
from tests.factories import make_participant, make_professional, make_room
from tests.support.answers import error_code
from tests.support.roles import acting_as

SPEAKERS = [
    ("Dr. Ana Souza", ParticipantType.PROFESSIONAL),
    ("Maria Lima", ParticipantType.CLIENT),
    ("Maria Lima", ParticipantType.CLIENT),  # another person with the same display name
]


@pytest.fixture
def visit(db, entity):
    """A finished room with three speakers whose segments were stored out of time order."""
    room = make_room(db, entity, status=RoomStatus.COMPLETED)
    doctor = make_professional(db)
    people = [
        make_participant(db, name=name, type=kind, **({"professional_id": doctor.id} if index == 0 else {}))
        for index, (name, kind) in enumerate(SPEAKERS)
    ]
    lines = [
        (1, 4.2, 6.0, "Since Monday, mostly at night."),
        (0, 0.5, 3.9, "Good morning, how long have you had the cough?"),
        (2, 6.5, 7.25, "I am her daughter <and> I can confirm --> nights."),
        (0, 8.0, 9.5, "Any fever?"),
    ]
    with acting_as(db, AGENT_ROLE):  # the agent writes the transcript
        for speaker, start, end, text in lines:
            name, kind = SPEAKERS[speaker]
            record_transcript_segment(
                db=db,
                room_id=room.id,
                participant_id=people[speaker].id,
                speaker_name=name,
                speaker_type=kind,
                start_seconds=start,
                end_seconds=end,
                text=text,
                language="en",
            )
    return room, people


def test_json_lists_segments_in_time_order_with_who_spoke(client, auth_headers, admin, visit):
    room, people = visit

    answer = client.get(f"/v1/rooms/{room.id}/transcript", headers=auth_headers(admin))

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    segments = answer.json()["segments"]
    assert [segment["start_seconds"] for segment in segments] == [0.5, 4.2, 6.5, 8.0]
    assert [segment["participant"]["id"] for segment in segments] == [
        people[0].id,
        people[1].id,
        people[2].id,
        people[0].id,
    ]
    assert segments[1]["participant"] == {"id": people[1].id, "display_name": "Maria Lima", "type": "CLIENT"}
    assert segments[0]["confidence"] is None and segments[0]["language"] == "en"


@pytest.mark.parametrize("how", [{"params": {"format": "vtt"}}, {"headers": {"Accept": "text/vtt"}}])
def test_webvtt_parses_with_voice_spans_and_times(client, auth_headers, admin, visit, how):
    room, _ = visit
    headers = {**auth_headers(admin), **how.get("headers", {})}

    answer = client.get(f"/v1/rooms/{room.id}/transcript", headers=headers, params=how.get("params"))

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/vtt")
    captions = webvtt.from_buffer(io.StringIO(answer.text)).captions
    assert [(c.start, c.end) for c in captions] == [
        ("00:00:00.500", "00:00:03.900"),
        ("00:00:04.200", "00:00:06.000"),
        ("00:00:06.500", "00:00:07.250"),
        ("00:00:08.000", "00:00:09.500"),
    ]
    assert [c.voice for c in captions] == ["Dr. Ana Souza", "Maria Lima", "Maria Lima", "Dr. Ana Souza"]
    # Cue text is escaped as WebVTT requires; the raw "-->" could never end a cue early.
    assert captions[2].raw_text == "<v Maria Lima>I am her daughter &lt;and&gt; I can confirm -&gt; nights."


def test_plain_text_is_one_line_per_segment(client, auth_headers, admin, visit):
    room, _ = visit

    answer = client.get(
        f"/v1/rooms/{room.id}/transcript", params={"format": "txt"}, headers=auth_headers(admin)
    )

    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text.splitlines()[:2] == [
        "[00:00:00] Dr. Ana Souza: Good morning, how long have you had the cough?",
        "[00:00:04] Maria Lima: Since Monday, mostly at night.",
    ]


def test_a_room_without_speech_has_an_empty_transcript(client, auth_headers, admin, db, entity):
    room = make_room(db, entity)

    json_answer = client.get(f"/v1/rooms/{room.id}/transcript", headers=auth_headers(admin))
    vtt_answer = client.get(f"/v1/rooms/{room.id}/transcript?format=vtt", headers=auth_headers(admin))

    assert json_answer.json() == {"room_id": room.id, "segments": []}
    assert webvtt.from_buffer(io.StringIO(vtt_answer.text)).captions == []


def test_a_manager_reads_any_transcript(client, auth_headers, manager, visit):
    room, _ = visit

    assert client.get(f"/v1/rooms/{room.id}/transcript", headers=auth_headers(manager)).status_code == 200


def test_another_tenant_gets_404_as_for_a_missing_room(client, auth_headers, other_admin, visit):
    room, _ = visit

    foreign = client.get(f"/v1/rooms/{room.id}/transcript", headers=auth_headers(other_admin))
    missing = client.get("/v1/rooms/no-such-room/transcript", headers=auth_headers(other_admin))

    assert (foreign.status_code, error_code(foreign)) == (404, "room_not_found")
    assert foreign.json() == missing.json()


def test_without_a_backoffice_token_the_transcript_is_refused(client, visit):
    room, _ = visit

    assert client.get(f"/v1/rooms/{room.id}/transcript").status_code == 401


def test_an_unknown_format_is_a_422(client, auth_headers, admin, visit):
    room, _ = visit

    answer = client.get(f"/v1/rooms/{room.id}/transcript?format=pdf", headers=auth_headers(admin))

    assert answer.status_code == 422
