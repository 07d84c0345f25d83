"""A visit's transcript through the secretary Lambda handler (Mangum, API Gateway event): a 60-minute,
3-speaker visit of 1,500 segments served as JSON and as WebVTT, against a raw psycopg SELECT of the
same rows in the same run (the goal), and against that SELECT plus the same document written in plain
Python (json.dumps; the cues row by row). All four are interleaved; the answers are checked against the
Python-written ones."""

import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_manager_api import http_api_event  # noqa: E402
from support import bench_database, bench_session, lambda_handler, median, report, timed  # noqa: E402

SEGMENTS = 1_500
VISIT_SECONDS = 3_600
REQUESTS = 200


def seed(owner_url: str) -> tuple[str, int]:
    """A completed room with SEGMENTS segments of three speakers; returns (room id, admin id)."""
    import psycopg

    from meetings.identity.passwords import hash_password
    from meetings.identity.roles import UserRole
    from meetings.manager.entities.models import Entity
    from meetings.manager.professionals.models import Professional
    from meetings.manager.users.models import User
    from meetings.secretary.participants.models import Participant, ParticipantType
    from meetings.secretary.rooms.models import Room

    with bench_session() as db:
        entity = Entity(name="Bench clinic", type="medical_clinic")
        db.add(entity)
        db.flush()
        admin = User(
            email="transcript-bench@example.com",
            password=hash_password("bench passphrase", rounds=10),
            phone_number="+5511999990002",
            role=UserRole.ENTITY_ADMIN,
            entity_id=entity.id,
        )
        doctor = Professional(name="Dr. Bench", phone_number="+5511999990003")
        db.add_all([admin, doctor])
        db.flush()
        room_id = str(uuid.uuid4())
        db.add(
            Room(
                id=room_id,
                livekit_room_id=f"meeting-{room_id}",
                title="Bench visit",
                entity_id=entity.id,
                max_participants=5,
                scheduled_at=datetime.now(UTC) + timedelta(minutes=5),
            )
        )
        speakers = [
            Participant(
                name="Dr. Bench",
                type=ParticipantType.PROFESSIONAL,
                phone_number="+5511999990004",
                professional_id=doctor.id,
            ),
            Participant(name="Maria", type=ParticipantType.CLIENT, phone_number="+5511999990005"),
            Participant(name="Joana", type=ParticipantType.CLIENT, phone_number="+5511999990006"),
        ]
        db.add_all(speakers)
        db.flush()
        db.flush()
        speaker_rows = [(p.id, p.name, p.type.value) for p in speakers]
        db.commit()
        admin_id = admin.id
    # Transcript segments are the agent's to write (its database role): stored here as the owner.
    step = VISIT_SECONDS / SEGMENTS
    rows = [
        (
            room_id,
            *speaker_rows[index % 3],
            index * step,
            index * step + step * 0.9,
            f"Segment {index}: the patient describes how the symptoms changed over the last week.",
            "en",
        )
        for index in range(SEGMENTS)
    ]
    with psycopg.connect(owner_url) as connection:
        connection.cursor().executemany(
            "INSERT INTO transcript_segments (room_id, participant_id, speaker_name, speaker_type,"
            " start_seconds, end_seconds, text, language) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    return room_id, admin_id


def json_in_python(rows: list[tuple], room_id: str) -> str:
    """The second JSON floor's serialisation: the rows as the same document, with json.dumps."""
    return json.dumps(
        {
            "room_id": room_id,
            "segments": [
                {
                    "id": id_,
                    "participant": {"id": participant, "display_name": name, "type": kind},
                    "start_seconds": float(start),
                    "end_seconds": float(end),
                    "text": text,
                    "language": language,
                    "confidence": confidence,
                }
                for id_, participant, name, kind, start, end, text, language, confidence in rows
            ],
        }
    )


def webvtt_in_python(rows: list[tuple]) -> str:
    """The second WebVTT floor's serialisation: the same cues, written in plain Python row by row."""

    def clock(seconds) -> str:
        millis = int(seconds * 1000)
        return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"

    def cue_text(value: str) -> str:
        value = value.replace("-->", "->").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return " ".join(value.split())

    cues = "".join(
        f"\n{number}\n{clock(row[4])} --> {clock(row[5])}\n<v {cue_text(row[2])}>{cue_text(row[6])}\n"
        for number, row in enumerate(rows, start=1)
    )
    return "WEBVTT\n" + cues


def main() -> None:
    with bench_database() as url:
        import psycopg

        from meetings.identity.principal import Principal
        from meetings.identity.roles import UserRole
        from meetings.identity.tokens import issue_access_token
        from meetings.settings import get_settings

        room_id, admin_id = seed(url)
        handler = lambda_handler("secretary_api")
        with psycopg.connect(url) as connection:
            entity_id = connection.execute(
                "SELECT entity_id FROM users WHERE id = %s", (admin_id,)
            ).fetchone()[0]
        token, _ = issue_access_token(Principal(admin_id, UserRole.ENTITY_ADMIN, entity_id), get_settings())
        path = f"/v1/rooms/{room_id}/transcript"
        json_event = http_api_event("GET", path, token=token)
        vtt_event = http_api_event("GET", path, query="format=vtt", token=token)
        served = {}

        def as_json() -> None:
            answer = handler(json_event, None)
            assert answer["statusCode"] == 200 and not answer["isBase64Encoded"]
            served["json"] = answer["body"]

        def as_vtt() -> None:
            answer = handler(vtt_event, None)
            assert answer["statusCode"] == 200 and not answer["isBase64Encoded"]
            served["vtt"] = answer["body"]

        with psycopg.connect(url, autocommit=True) as connection:

            def raw_select() -> list[tuple]:
                rows = connection.execute(
                    "SELECT id, participant_id, speaker_name, speaker_type, start_seconds, end_seconds, text,"
                    " language, confidence FROM transcript_segments WHERE room_id = %s"
                    " ORDER BY start_seconds, id",
                    (room_id,),
                ).fetchall()
                assert len(rows) == SEGMENTS
                return rows

            def raw_select_json() -> None:
                json_in_python(raw_select(), room_id)

            def raw_select_webvtt() -> None:
                webvtt_in_python(raw_select())

            # Interleaved, so a burst of load on the shared machine falls on every side alike.
            measured = {as_json: [], as_vtt: [], raw_select: [], raw_select_json: [], raw_select_webvtt: []}
            for action in measured:
                for _ in range(3):
                    action()
            for _ in range(REQUESTS):
                for action, times in measured.items():
                    times.append(timed(action))
            rows = raw_select()

    # The path serves the same rows as the floors: the same JSON, and WebVTT to the byte.
    assert json.loads(served["json"]) == json.loads(json_in_python(rows, room_id))
    assert served["vtt"] == webvtt_in_python(rows), (
        "the served WebVTT differs from the rows written in Python"
    )
    raw_ms = median(measured[raw_select]) * 1000
    for name, action, serialised, serialiser in (
        ("JSON", as_json, raw_select_json, "json.dumps"),
        ("WebVTT", as_vtt, raw_select_webvtt, "WebVTT written in Python"),
    ):
        served_ms = median(measured[action]) * 1000
        line = f"transcript of {SEGMENTS} segments as {name} via the secretary Lambda handler (median)"
        report(line, served_ms, "ms", floor=raw_ms, floor_name="raw SELECT of the same rows")
        report(
            line,
            served_ms,
            "ms",
            floor=median(measured[serialised]) * 1000,
            floor_name=f"raw SELECT + {serialiser}",
        )


if __name__ == "__main__":
    main()
