"""Counting the SQL statements a piece of work sends (BEGIN and COMMIT aside)."""

from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def counted_statements(db):
    """Yields the list of statements the session's engine sends while the block runs."""
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
