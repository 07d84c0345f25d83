"""Phase 3, functions and triggers: updated_at on every table that has it, agent session duration,
recording purge date, and the rules a CHECK cannot express (room capacity against its entity, agent
usage only for AGENT participants, the room status machine, append-only event logs).

Revision ID: 0003_triggers
Revises: 0002_meetings
Create Date: 2026-11-26
"""

from alembic import op

revision = "0003_triggers"
down_revision = "0002_meetings"
branch_labels = None
depends_on = None

TABLES_WITH_UPDATED_AT = (
    "users",
    "entities",
    "departments",
    "professionals",
    "professional_entities",
    "knowledge_base",
    "knowledge_documents",
    "login_throttles",
    "rooms",
    "participants",
    "room_participants",
    "agent_usage",
)

FUNCTIONS = {
    "update_updated_at_column": """
        BEGIN
            NEW.updated_at = NOW();
            RETURN NEW;
        END;
    """,
    "calculate_agent_duration": """
        BEGIN
            IF NEW.session_end IS NOT NULL THEN
                NEW.duration_seconds = EXTRACT(EPOCH FROM (NEW.session_end - NEW.session_start))::INTEGER;
            END IF;
            RETURN NEW;
        END;
    """,
    "set_recording_purge_date": """
        BEGIN
            NEW.purge_at = NEW.created_at + (NEW.retention_days || ' days')::INTERVAL;
            RETURN NEW;
        END;
    """,
    # The spec's chk_room_capacity, as a trigger: PostgreSQL CHECKs cannot hold subqueries.
    "enforce_room_capacity": """
        DECLARE
            entity_limit INTEGER;
        BEGIN
            IF NEW.entity_id IS NULL THEN
                RETURN NEW;
            END IF;
            SELECT max_participants INTO entity_limit FROM entities WHERE id = NEW.entity_id;
            IF NEW.max_participants > entity_limit THEN
                RAISE EXCEPTION 'room max_participants % exceeds the entity limit %',
                    NEW.max_participants, entity_limit
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'chk_room_capacity';
            END IF;
            RETURN NEW;
        END;
    """,
    "enforce_agent_usage_participant": """
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM participants WHERE id = NEW.participant_id AND type = 'AGENT') THEN
                RAISE EXCEPTION 'agent_usage.participant_id % is not an AGENT participant', NEW.participant_id
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'chk_agent_usage_participant_agent';
            END IF;
            RETURN NEW;
        END;
    """,
    "enforce_room_status_transition": """
        BEGIN
            IF NEW.status = OLD.status
               OR (OLD.status = 'SCHEDULED' AND NEW.status IN ('ACTIVE', 'CANCELED'))
               OR (OLD.status = 'ACTIVE' AND NEW.status IN ('COMPLETED', 'CANCELED')) THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'room status cannot go from % to %', OLD.status, NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'chk_room_status_transition';
        END;
    """,
    "reject_event_update": """
        BEGIN
            RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
                USING ERRCODE = 'check_violation', CONSTRAINT = 'chk_events_append_only';
        END;
    """,
}

TRIGGERS = [
    *(
        (f"update_{table}_updated_at", table, "BEFORE UPDATE", "update_updated_at_column")
        for table in TABLES_WITH_UPDATED_AT
    ),
    ("trg_calculate_agent_duration", "agent_usage", "BEFORE INSERT OR UPDATE", "calculate_agent_duration"),
    ("trg_set_purge_date", "recordings", "BEFORE INSERT", "set_recording_purge_date"),
    (
        "trg_room_capacity",
        "rooms",
        "BEFORE INSERT OR UPDATE OF max_participants, entity_id",
        "enforce_room_capacity",
    ),
    (
        "trg_agent_usage_participant_agent",
        "agent_usage",
        "BEFORE INSERT OR UPDATE OF participant_id",
        "enforce_agent_usage_participant",
    ),
    ("trg_room_status_transition", "rooms", "BEFORE UPDATE OF status", "enforce_room_status_transition"),
    ("trg_room_events_append_only", "room_events", "BEFORE UPDATE", "reject_event_update"),
    ("trg_agent_events_append_only", "agent_session_events", "BEFORE UPDATE", "reject_event_update"),
]


def upgrade() -> None:
    for name, body in FUNCTIONS.items():
        op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS TRIGGER AS $${body}$$ LANGUAGE plpgsql")
    for trigger, table, timing, function in TRIGGERS:
        op.execute(f"CREATE TRIGGER {trigger} {timing} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()")


def downgrade() -> None:
    for trigger, table, _, _ in reversed(TRIGGERS):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for name in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
