"""Waiting room: an entity default, a per-room override, each link's admission and its room events.

Revision ID: 20261201_waiting_room
Revises: 20261201_database_roles
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "20261201_waiting_room"
down_revision = "20261201_database_roles"
branch_labels = None
depends_on = None

OLD_EVENTS = (
    "ROOM_CREATED",
    "ROOM_STARTED",
    "ROOM_ENDED",
    "PARTICIPANT_JOINED",
    "PARTICIPANT_LEFT",
    "CAPACITY_REACHED",
    "RECORDING_STARTED",
    "RECORDING_STOPPED",
)
NEW_EVENTS = (*OLD_EVENTS, "PARTICIPANT_WAITING", "PARTICIPANT_ADMITTED", "PARTICIPANT_DENIED")
# Existing health-care entities get the waiting room on, as new ones of those types do (see the service).
HEALTH_TYPES_RULE = "type ~* '(clinic|medic|health|hospital|therap|psych|dental|care)'"


def _events_rule(names) -> str:
    return "event_name IN (" + ", ".join(f"'{n}'" for n in names) + ")"


def upgrade() -> None:
    op.add_column(
        "entities", sa.Column("waiting_room", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.execute(f"UPDATE entities SET waiting_room = true WHERE {HEALTH_TYPES_RULE}")
    op.add_column("rooms", sa.Column("waiting_room", sa.Boolean(), nullable=True))
    op.add_column("room_participants", sa.Column("admission", sa.String(length=20), nullable=True))
    op.add_column("room_participants", sa.Column("admission_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_room_participants_admission_known"),
        "room_participants",
        "admission IS NULL OR admission IN ('WAITING', 'ADMITTED', 'DENIED')",
    )
    op.create_index(
        "idx_room_part_waiting",
        "room_participants",
        ["room_id", "admission_at"],
        postgresql_where=sa.text("admission = 'WAITING'"),
    )
    op.drop_constraint(op.f("ck_room_events_event_name_known"), "room_events", type_="check")
    op.create_check_constraint(
        op.f("ck_room_events_event_name_known"), "room_events", _events_rule(NEW_EVENTS)
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_room_events_event_name_known"), "room_events", type_="check")
    op.execute(
        "DELETE FROM room_events WHERE event_name IN "
        "('PARTICIPANT_WAITING', 'PARTICIPANT_ADMITTED', 'PARTICIPANT_DENIED')"
    )
    op.create_check_constraint(
        op.f("ck_room_events_event_name_known"), "room_events", _events_rule(OLD_EVENTS)
    )
    op.drop_index("idx_room_part_waiting", table_name="room_participants")
    op.drop_constraint(op.f("ck_room_participants_admission_known"), "room_participants", type_="check")
    op.drop_column("room_participants", "admission_at")
    op.drop_column("room_participants", "admission")
    op.drop_column("rooms", "waiting_room")
    op.drop_column("entities", "waiting_room")
