"""Insert and read back 10,000 room events through the service layer, against raw psycopg
(COPY for the insert, one SELECT for the read)."""

import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import bench_database, bench_session, report, timed  # noqa: E402

EVENTS = 10_000


def main() -> None:
    with bench_database() as url:
        import psycopg
        from psycopg.types.json import Jsonb

        from meetings.api.pagination import PageParams, paginate
        from meetings.secretary.events.models import RoomEventName
        from meetings.secretary.events.service import append_room_event, room_events_query
        from meetings.secretary.rooms.models import Room

        def new_room(db) -> str:
            room = Room(
                id=str(uuid.uuid4()),
                livekit_room_id=str(uuid.uuid4()),
                title="Bench",
                scheduled_at=datetime.now(UTC) + timedelta(days=1),
                max_participants=10,
            )
            db.add(room)
            db.commit()
            return room.id

        names = list(RoomEventName)
        with bench_session() as db:
            service_room, raw_room = new_room(db), new_room(db)

            def service_insert() -> None:
                for i in range(EVENTS):
                    append_room_event(
                        db=db,
                        room_id=service_room,
                        event_name=names[i % len(names)],
                        data={"sequence": i, "participant_id": i % 7},
                    )
                db.commit()

            def service_read() -> None:
                rows, offset = [], 0
                query = room_events_query(room_id=service_room)
                while page := paginate(db, query, PageParams(limit=1000, offset=offset)).items:
                    rows.extend(page)
                    offset += len(page)
                assert len(rows) == EVENTS

            service_write_s = timed(service_insert)
            db.expunge_all()
            service_read_s = timed(service_read)

        with psycopg.connect(url) as connection:

            def raw_insert() -> None:
                with (
                    connection.cursor() as cursor,
                    cursor.copy("COPY room_events (room_id, event_name, data) FROM STDIN") as copy,
                ):
                    for i in range(EVENTS):
                        copy.write_row(
                            (
                                raw_room,
                                names[i % len(names)].value,
                                Jsonb({"sequence": i, "participant_id": i % 7}),
                            )
                        )
                connection.commit()

            def raw_read() -> None:
                rows = connection.execute(
                    "SELECT id, room_id, event_name, data, created_at FROM room_events "
                    "WHERE room_id = %s ORDER BY created_at, id",
                    (raw_room,),
                ).fetchall()
                assert len(rows) == EVENTS

            raw_write_s = timed(raw_insert)
            raw_read_s = timed(raw_read)

    report(
        "room_events insert 10k via service",
        service_write_s * 1000,
        "ms",
        floor=raw_write_s * 1000,
        floor_name="raw COPY",
    )
    report(
        "room_events read 10k via service (pages of 1000)",
        service_read_s * 1000,
        "ms",
        floor=raw_read_s * 1000,
        floor_name="raw SELECT",
    )


if __name__ == "__main__":
    main()
