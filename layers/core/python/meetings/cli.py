"""The `meetings` command line: `meetings kb ingest --entity-id N [--department-id M] FILE...`."""

import argparse
import sys
from pathlib import Path


def ingest_files(entity_id: int, department_id: int | None, paths: list[Path]) -> int:
    """Ingests local files straight into the knowledge base, one transaction per file; returns the exit status."""
    from meetings.db import get_engine, session_factory, verify_schema
    from meetings.db_local import serve_locally_as
    from meetings.db_roles import JOBS_ROLE
    from meetings.db_scope import set_db_scope
    from meetings.embeddings import get_embedder
    from meetings.manager.knowledge.ingest import (
        DocumentLocation,
        content_etag,
        ingest_document,
        unchanged_outcome,
    )
    from meetings.settings import get_settings

    if get_settings().environment != "production":
        serve_locally_as(JOBS_ROLE)
    verify_schema(get_engine(), get_settings())
    embedder = get_embedder()
    failures = 0
    for path in paths:
        content = path.read_bytes()
        location = DocumentLocation(entity_id, department_id, path.name)
        with set_db_scope(session_factory()(), "jobs") as db:

            def progress(done: int, total: int, name: str = path.name) -> None:
                print(f"\r{name}: {done}/{total} chunk(s)", end="", file=sys.stderr, flush=True)

            etag = content_etag(content)
            outcome = unchanged_outcome(db, location, etag) or ingest_document(
                db=db,
                location=location,
                content=content,
                content_type=None,
                source_etag=etag,
                embedder=embedder,
                on_progress=progress,
            )
            db.commit()
            result = outcome.status if outcome.reason is None else f"{outcome.status}: {outcome.reason}"
            print(f"\r{path.name}: {result}", file=sys.stderr)
        failures += outcome.status in ("failed", "skipped")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="meetings", description="Meetings platform administration.")
    commands = parser.add_subparsers(dest="area", required=True)
    kb = commands.add_parser("kb", help="knowledge base").add_subparsers(dest="action", required=True)
    ingest = kb.add_parser(
        "ingest", help="ingest local PDF, DOCX, Markdown or text files into an entity's knowledge base"
    )
    ingest.add_argument("--entity-id", type=int, required=True)
    ingest.add_argument(
        "--department-id", type=int, help="the department the documents belong to (default: entity-wide)"
    )
    ingest.add_argument("files", nargs="+", type=Path, metavar="FILE")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}")
    return ingest_files(args.entity_id, args.department_id, args.files)


if __name__ == "__main__":
    sys.exit(main())
