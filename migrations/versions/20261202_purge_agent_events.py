"""The retention purge takes a finished room's agent events too: `purge_agent_events(room_id)`.

The agent's event log holds the visit's words: every final transcript (TRANSCRIPTION_PROCESSED carries
its text) and every question asked and answered. Until now the content purge deleted the transcript
segments and left those copies for as long as the room existed. The log stays append-only for every
service role (no UPDATE, no DELETE grant); the one way out is this SECURITY DEFINER function, which
only the jobs role may call, and which deletes only the events of a COMPLETED or CANCELED room,
returning them so that the receipt hashes what went. Policies are forced on the owner too, so the
caller's scope still decides which rooms exist.

Revision ID: 20261202_purge_agent_events
Revises: 20261202_kb_embedding_inline
Create Date: 2026-12-02
"""

from alembic import op

revision = "20261202_purge_agent_events"
down_revision = "20261202_kb_embedding_inline"
branch_labels = None
depends_on = None

SIGNATURE = "purge_agent_events(varchar)"
PURGE_AGENT_EVENTS = """
CREATE FUNCTION purge_agent_events(p_room_id varchar) RETURNS SETOF agent_session_events
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    DELETE FROM agent_session_events
    WHERE room_id = p_room_id
      AND EXISTS (SELECT 1 FROM rooms WHERE rooms.id = p_room_id AND rooms.status IN ('COMPLETED', 'CANCELED'))
    RETURNING *
$$
"""


def upgrade() -> None:
    op.execute(PURGE_AGENT_EVENTS)
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO meetings_jobs")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
