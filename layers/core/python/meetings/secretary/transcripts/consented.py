"""Which stored lines the assistant's consent covers, as SQL over `transcript_segments s` for the room
`%(room_id)s` (psycopg placeholders: the readers run on the session's driver connection).

A person's line counts when their consent decision in force when it was stored (the latest one made
before it) said yes to the assistant: a withdrawal stops what follows it, and a line of someone with no
decision counts for nothing. The transcript, the note's drafting and the evidence of an edited note all
apply this one rule."""

# Each decision with the time it held until (the participant's next one), read once per query.
DECISIONS = """
    decisions AS MATERIALIZED (
        SELECT participant_id, assistant, created_at AS since,
               lead(created_at) OVER (PARTITION BY participant_id ORDER BY id) AS until
        FROM consent_records
        WHERE room_id = %(room_id)s
    )"""

HEARD_WITH_CONSENT = """EXISTS (
        SELECT 1 FROM decisions d
        WHERE d.participant_id = s.participant_id AND d.assistant
          AND s.created_at >= d.since AND (d.until IS NULL OR s.created_at < d.until)
    )"""
