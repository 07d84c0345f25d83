"""GET /v1/rooms/{room_id}/transcript: JSON, WebVTT (read back by webvtt-py) and text, in time order."""

import io
import json
from decimal import Decimal

import pytest
import webvtt
from pydantic_core import to_json
from sqlalchemy import select, text

from meetings.db_roles import AGENT_ROLE
from meetings.secretary.consent.service import record_join_consent
from meetings.secretary.participants.models import ParticipantType
from meetings.secretary.rooms.models import RoomStatus
from meetings.secretary.transcripts import service
from meetings.secretary.transcripts.models import TranscriptSegment
from meetings.secretary.transcripts.service import record_transcript_segment
from tests.factories import make_participant, make_professional, make_room
from tests.support.answers import error_code
from tests.support.roles import acting_as

SPEAKERS = [
    ("Dr. Ana Souza", ParticipantType.PROFESSIONAL),
    ("Maria Lima", ParticipantType.CLIENT),
    ("Maria Lima", ParticipantType.CLIENT),  # another person with the same display name
]


def consent_to_the_assistant(db, room, person, *, assistant: bool = True) -> None:
    record_join_consent(
        db=db,
        room_id=room.id,
        entity_id=room.entity_id,
        participant_id=person.id,
        recording=False,
        assistant=assistant,
        language="en",
        client_address=None,
    )


@pytest.fixture
def visit(db, entity):
    """A finished room with three speakers whose segments were stored out of time order."""
    room = make_room(db, entity, status=RoomStatus.COMPLETED)
    doctor = make_professional(db)
    people = [
        make_participant(db, name=name, type=kind, **({"professional_id": doctor.id} if index == 0 else {}))
        for index, (name, kind) in enumerate(SPEAKERS)
    ]
    for person in people:
        consent_to_the_assistant(db, room, person)
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


# The formats as they were written row by row in Python before PostgreSQL took the per-row work; the
# answers stay byte-identical to them (except that the text clock no longer cuts hours past 99).
def reference_clock(seconds: Decimal) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}.{millis:03d}"


def reference_json(room_id: str, segments: list[TranscriptSegment]) -> str:
    objects = [
        to_json(
            {
                "id": s.id,
                "participant": {
                    "id": s.participant_id,
                    "display_name": s.speaker_name,
                    "type": s.speaker_type,
                },
                "start_seconds": float(s.start_seconds),
                "end_seconds": float(s.end_seconds),
                "text": s.text,
                "language": s.language,
                "confidence": s.confidence,
            }
        ).decode()
        for s in segments
    ]
    return f'{{"room_id": {json.dumps(room_id)}, "segments": [{",".join(objects)}]}}'


def reference_webvtt(segments: list[TranscriptSegment]) -> str:
    escapes = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
    cues = []
    for number, s in enumerate(segments, start=1):
        text = " ".join(s.text.replace("-->", "->").translate(escapes).split())
        speaker = " ".join(s.speaker_name.translate(escapes).split())
        cues.append(
            f"\n{number}\n{reference_clock(s.start_seconds)} --> {reference_clock(s.end_seconds)}\n"
            f"<v {speaker}>{text}\n"
        )
    return "WEBVTT\n" + "".join(cues)


def reference_text(segments: list[TranscriptSegment]) -> str:
    return "".join(
        f"[{reference_clock(s.start_seconds).split('.')[0]}] {' '.join(s.speaker_name.split())}: {s.text}\n"
        for s in segments
    )


AWKWARD = [  # (start, end, speaker, text, language, confidence), stored out of time order
    (
        360000.25,
        360002.0,
        "Maria\tLima ",
        'nbsp\u00a0and ideographic\u3000space -> --> &amp; <b>"',
        "pt-BR",
        None,
    ),
    (0.0, 0.001, 'Dr. "Ana" <Souza>', 'He said "hi" \\ then\tleft', "en", 1.0),
    (59.999, 60.0, 'Dr. "Ana" <Souza>', "line one\nline two\r\n\nthree", None, 0.0),
    (3599.999, 3600.0, "  ", "  leading and trailing  ", "en", 0.93),
    (
        36000.5,
        36001.25,
        "Joana",
        "control \x01 and \x7f, emoji \U0001f600, separator \u2028 here",
        "en",
        0.000123,
    ),
]


@pytest.fixture
def awkward_visit(db, entity):
    """Times up to 100 hours at millisecond edges, whole and fractional seconds, and texts that need every
    JSON and WebVTT escape and whitespace rule."""
    room = make_room(db, entity, status=RoomStatus.COMPLETED)
    speaker = make_participant(db, name="Someone")
    consent_to_the_assistant(db, room, speaker)
    with acting_as(db, AGENT_ROLE):
        for index, (start, end, name, text, language, confidence) in enumerate(AWKWARD):
            agent_line = index == 3  # the assistant's own speech: no participant, served as it is
            record_transcript_segment(
                db=db,
                room_id=room.id,
                participant_id=None if agent_line else speaker.id,
                speaker_name=name,
                speaker_type=ParticipantType.AGENT if agent_line else ParticipantType.CLIENT,
                start_seconds=start,
                end_seconds=end,
                text=text,
                language=language,
                confidence=confidence,
            )
    segments = db.scalars(
        select(TranscriptSegment)
        .where(TranscriptSegment.room_id == room.id)
        .order_by(TranscriptSegment.start_seconds, TranscriptSegment.id)
    ).all()
    return room, segments


@pytest.mark.parametrize("batch", [service.READ_BATCH, 2], ids=["one chunk", "chunks of two"])
def test_every_format_is_byte_identical_to_writing_each_row_in_python(
    client, auth_headers, admin, awkward_visit, monkeypatch, batch
):
    room, segments = awkward_visit
    monkeypatch.setattr(service, "READ_BATCH", batch)
    url = f"/v1/rooms/{room.id}/transcript"

    as_json = client.get(url, headers=auth_headers(admin))
    as_vtt = client.get(url, params={"format": "vtt"}, headers=auth_headers(admin))
    as_text = client.get(url, params={"format": "txt"}, headers=auth_headers(admin))

    assert as_json.text == reference_json(room.id, segments)
    assert [s["start_seconds"] for s in as_json.json()["segments"]] == [
        0.0,
        59.999,
        3599.999,
        36000.5,
        360000.25,
    ]
    assert as_vtt.text == reference_webvtt(segments)
    captions = webvtt.from_buffer(io.StringIO(as_vtt.text)).captions
    assert [c.start for c in captions] == [
        "00:00:00.000",
        "00:00:59.999",
        "00:59:59.999",
        "10:00:00.500",
        "100:00:00.250",
    ]
    assert as_text.text == reference_text(segments)


def test_a_writer_cannot_choose_what_is_served(client, auth_headers, admin, db, entity):
    """The rendered columns are the database's: values a writer sends are replaced from the row itself."""
    room = make_room(db, entity, status=RoomStatus.COMPLETED)
    with acting_as(db, AGENT_ROLE):
        db.execute(
            text(
                "INSERT INTO transcript_segments (room_id, speaker_name, speaker_type, start_seconds, end_seconds,"
                " text, rendered_json, rendered_cue_timing) VALUES (:room, 'Assistant', 'AGENT', 1, 2, 'hello',"
                " '{\"text\": \"forged\"}', '99:00:00.000 --> 99:00:01.000')"
            ),
            {"room": room.id},
        )
    url = f"/v1/rooms/{room.id}/transcript"

    as_json = client.get(url, headers=auth_headers(admin)).json()
    as_vtt = client.get(url, params={"format": "vtt"}, headers=auth_headers(admin)).text

    assert [s["text"] for s in as_json["segments"]] == ["hello"]
    assert "00:00:01.000 --> 00:00:02.000" in as_vtt and "99:00" not in as_vtt


@pytest.mark.parametrize("with_speech", [True, False], ids=["with speech", "silent"])
def test_another_tenants_room_is_404_with_or_without_speech(
    client, auth_headers, other_admin, db, entity, awkward_visit, with_speech
):
    room = awkward_visit[0] if with_speech else make_room(db, entity)

    for params in ({}, {"format": "vtt"}, {"format": "txt"}):
        answer = client.get(
            f"/v1/rooms/{room.id}/transcript", params=params, headers=auth_headers(other_admin)
        )
        assert (answer.status_code, error_code(answer)) == (404, "room_not_found")


def test_lines_the_speakers_consent_does_not_cover_are_never_served(client, auth_headers, admin, db, entity):
    """Whatever was stored: a refused participant's line, and a line after its speaker withdrew, stay out
    of every format, as they stay out of the note."""
    from datetime import UTC, datetime, timedelta

    from meetings.secretary.consent.models import ConsentAction, ConsentRecord

    room = make_room(db, entity, status=RoomStatus.COMPLETED)
    patient, relative = make_participant(db, name="Maria"), make_participant(db, name="Joao")
    start = datetime.now(UTC) - timedelta(minutes=10)
    decisions = [(patient, ConsentAction.JOIN, True, 0), (relative, ConsentAction.JOIN, False, 0)]
    decisions.append((patient, ConsentAction.WITHDRAW, False, 120))
    for person, action, assistant, second in decisions:
        db.add(
            ConsentRecord(
                room_id=room.id,
                participant_id=person.id,
                action=action,
                recording=False,
                assistant=assistant,
                created_at=start + timedelta(seconds=second),
            )
        )
    db.flush()
    lines = [
        (patient, 10, "Before I withdrew."),
        (relative, 20, "I refused the assistant."),
        (patient, 130, "After I withdrew."),
    ]
    for person, second, words in lines:
        with acting_as(db, AGENT_ROLE):
            db.execute(
                text(
                    "INSERT INTO transcript_segments (room_id, participant_id, speaker_name, speaker_type,"
                    " start_seconds, end_seconds, text, created_at)"
                    " VALUES (:room, :person, :name, 'CLIENT', :at, :at + 1, :words, :created)"
                ),
                {
                    "room": room.id,
                    "person": person.id,
                    "name": person.name,
                    "at": second,
                    "words": words,
                    "created": start + timedelta(seconds=second),
                },
            )
    url = f"/v1/rooms/{room.id}/transcript"

    served = [s["text"] for s in client.get(url, headers=auth_headers(admin)).json()["segments"]]
    assert served == ["Before I withdrew."]
    for params in ({"format": "vtt"}, {"format": "txt"}):
        body = client.get(url, params=params, headers=auth_headers(admin)).text
        assert "Before I withdrew." in body and "refused" not in body and "After I" not in body


def test_a_room_id_the_database_cannot_hold_names_no_room(client, auth_headers, admin):
    answer = client.get("/v1/rooms/abc%00def/transcript", headers=auth_headers(admin))
    assert (answer.status_code, error_code(answer)) == (404, "room_not_found")
