"""Captions as a person in the room sees them: the agent's real text-stream options (built by the real
`rtc.TextStreamWriter` from what `LiveKitRoomGateway` passes it) fed to the join page's own caption code
(`web/src/meeting.js`, run under Node), in a room where two people share one display name."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from livekit import rtc

from agent_container.meeting_agent.room_gateway import Human, LiveKitRoomGateway
from agent_container.meeting_agent.transcription import Caption, Transcript
from meetings.meeting_protocol import TRANSCRIPTION_TOPIC
from meetings.secretary.participants.models import ParticipantType

ROOT = Path(__file__).resolve().parents[2]
PAGE_READER = Path(__file__).parent / "page" / "read_captions.mjs"
AGENT_IDENTITY = "agent-AJ_1"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "web" / "node_modules" / "livekit-client").exists(),
    reason="needs node and web/node_modules (npm ci in web/)",
)


class RecordingWriter:
    def __init__(self, writer: rtc.TextStreamWriter, streams: list):
        self.options = writer._options  # the StreamTextOptions the FFI receives
        self.streams = streams
        self.text = ""

    async def write(self, text: str) -> None:
        self.text += text

    async def aclose(self, **_) -> None:
        o = self.options
        self.streams.append(
            {
                "topic": o.topic,
                "sender": o.sender_identity,
                "attributes": dict(o.attributes),
                "text": self.text,
            }
        )


class LocalParticipant:
    """The agent's local participant, up to the FFI: the real writer builds the stream's header."""

    identity = AGENT_IDENTITY

    def __init__(self):
        self.streams: list[dict] = []

    async def stream_text(self, **options) -> RecordingWriter:
        return RecordingWriter(rtc.TextStreamWriter(self, **options), self.streams)

    async def send_text(self, text, *, topic="", destination_identities=None, attributes=None, **_):
        # rtc's send_text names the local participant as the sender
        writer = RecordingWriter(
            rtc.TextStreamWriter(
                self, topic=topic, attributes=attributes, destination_identities=destination_identities
            ),
            self.streams,
        )
        await writer.write(text)
        await writer.aclose()


class Room:
    def __init__(self):
        self.local_participant = LocalParticipant()


def person(participant_id: int, name: str) -> Human:
    return Human(
        identity=f"participant-{participant_id}",
        participant_id=participant_id,
        type=ParticipantType.CLIENT,
        name=name,
    )


def what_the_page_shows(*, viewer: dict, remote: list[dict], streams: list[dict]) -> dict:
    page_input = {"local": viewer, "remote": remote, "streams": streams}
    done = subprocess.run(
        ["node", str(PAGE_READER), str(ROOT / "web" / "src")],
        input=json.dumps(page_input),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


async def test_each_caption_names_the_participant_who_spoke_even_with_the_same_display_name(
    build_meeting, meeting_setup
):
    room = Room()
    meeting = build_meeting()
    meeting.gateway = LiveKitRoomGateway(room)
    await meeting.start()
    viewer, namesake, other = person(1, "Ana Lima"), person(2, "Ana Lima"), person(3, "Bruno")

    await meeting.on_interim(Caption(namesake, "TR_ana2_mic", "SG_a", "My knee", final=False))
    for human, track, segment, text in (
        (namesake, "TR_ana2_mic", "SG_a", "My knee still hurts."),
        (viewer, "TR_ana1_mic", "SG_b", "Since when?"),
        (other, "TR_bruno_mic", "SG_c", "Since Monday."),
    ):
        await meeting.on_transcript(Transcript(human, track, segment, text, 0.0, 1.0, "en", None, 0.0))

    streams = room.local_participant.streams
    assert [s["topic"] for s in streams] == [TRANSCRIPTION_TOPIC] * 4
    seen = what_the_page_shows(
        viewer={"identity": viewer.identity, "name": viewer.name, "tracks": ["TR_ana1_mic"]},
        remote=[
            {"identity": namesake.identity, "name": "Ana Lima", "tracks": ["TR_ana2_mic"]},
            {"identity": other.identity, "name": "Bruno", "tracks": ["TR_bruno_mic"]},
            {"identity": AGENT_IDENTITY, "name": "Meeting Assistant", "isAgent": True, "tracks": []},
        ],
        streams=streams,
    )

    assert seen["shown"] == ["Ana Lima: My knee still hurts.", "You: Since when?", "Bruno: Since Monday."]
    [first, *_] = seen["lines"]
    assert (first["text"], first["final"]) == ("My knee still hurts.", True)  # the interim line became final
    assert len(seen["lines"]) == 3


async def test_a_caption_whose_track_the_page_has_not_seen_yet_falls_back_to_its_sender(
    build_meeting, meeting_setup
):
    room = Room()
    meeting = build_meeting()
    meeting.gateway = LiveKitRoomGateway(room)
    await meeting.start()
    speaker = person(2, "Ana Lima")

    await meeting.on_transcript(
        Transcript(speaker, "TR_unknown", "SG_a", "Hello.", 0.0, 1.0, "en", None, 0.0)
    )

    seen = what_the_page_shows(
        viewer={"identity": "participant-1", "name": "Ana Lima", "tracks": []},
        remote=[{"identity": speaker.identity, "name": "Ana Lima", "tracks": []}],
        streams=room.local_participant.streams,
    )
    assert seen["shown"] == ["Ana Lima: Hello."]
