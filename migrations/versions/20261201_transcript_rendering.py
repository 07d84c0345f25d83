"""Transcript segments rendered once, when they are written: each row carries its JSON object and its
WebVTT cue timing, so serving a transcript reads text instead of writing it per request.

A segment is append-only (trg_transcript_segments_append_only), so what is rendered on insert stays true.
A BEFORE INSERT trigger fills both columns from the row itself; whatever a writer puts in them is
replaced. Rows stored before this revision are rendered here.

Revision ID: 20261201_transcript_rendering
Revises: 20261201_knowledge_terms
Create Date: 2026-12-01
"""

from alembic import op

revision = "20261201_transcript_rendering"
down_revision = "20261201_knowledge_terms"
branch_labels = None
depends_on = None


def _seconds(column: str) -> str:
    """A numeric(10,3) value as Python writes it as a float: 0.5, 2.16, 3600.0."""
    return f"CASE WHEN {column} = trunc({column}) THEN trunc({column})::text || '.0' ELSE trim_scale({column})::text END"


def _clock(column: str) -> str:
    return f"to_char(make_interval(secs => {column}), 'HH24:MI:SS.MS')"


def _json(row: str) -> str:
    """The segment as the transcript's JSON lists it (meetings.secretary.transcripts.schemas.SegmentOut)."""
    return (
        f"""'{{"id":' || {row}.id || ',"participant":{{"id":' || coalesce({row}.participant_id::text, 'null')"""
        f""" || ',"display_name":' || to_json({row}.speaker_name)::text"""
        f""" || ',"type":"' || {row}.speaker_type::text || '"}},"start_seconds":' || {_seconds(f"{row}.start_seconds")}"""
        f""" || ',"end_seconds":' || {_seconds(f"{row}.end_seconds")}"""
        f""" || ',"text":' || to_json({row}.text)::text"""
        f""" || ',"language":' || coalesce(to_json({row}.language)::text, 'null')"""
        f""" || ',"confidence":' || coalesce(CASE WHEN {row}.confidence = trunc({row}.confidence)"""
        f""" THEN trunc({row}.confidence)::text || '.0' ELSE {row}.confidence::text END, 'null') || '}}'"""
    )


def _cue_timing(row: str) -> str:
    return f"{_clock(f'{row}.start_seconds')} || ' --> ' || {_clock(f'{row}.end_seconds')}"


RENDER = f"""
CREATE FUNCTION render_transcript_segment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.rendered_json := {_json("NEW")};
    NEW.rendered_cue_timing := {_cue_timing("NEW")};
    RETURN NEW;
END;
$$
"""


def upgrade() -> None:
    op.execute(
        "ALTER TABLE transcript_segments ADD COLUMN rendered_json text, ADD COLUMN rendered_cue_timing text"
    )
    op.execute(RENDER)
    op.execute(
        "CREATE TRIGGER trg_transcript_segments_render BEFORE INSERT ON transcript_segments "
        "FOR EACH ROW EXECUTE FUNCTION render_transcript_segment()"
    )
    # The rows already stored: the append-only trigger stands aside for this one rewrite, and the owner
    # is under the policies too (FORCE ROW LEVEL SECURITY), so it takes a scope that sees every room.
    # The rewrite locks the table: run it outside meeting hours, when the agent is not writing segments.
    op.execute("SELECT set_config('app.scope', 'manager', true)")
    op.execute("ALTER TABLE transcript_segments DISABLE TRIGGER trg_transcript_segments_append_only")
    op.execute(
        "UPDATE transcript_segments AS segment SET "
        f"rendered_json = {_json('segment')}, rendered_cue_timing = {_cue_timing('segment')}"
    )
    op.execute("ALTER TABLE transcript_segments ENABLE TRIGGER trg_transcript_segments_append_only")
    op.execute(
        "ALTER TABLE transcript_segments ALTER COLUMN rendered_json SET NOT NULL, "
        "ALTER COLUMN rendered_cue_timing SET NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_transcript_segments_render ON transcript_segments")
    op.execute("DROP FUNCTION IF EXISTS render_transcript_segment()")
    op.execute("ALTER TABLE transcript_segments DROP COLUMN rendered_json, DROP COLUMN rendered_cue_timing")
