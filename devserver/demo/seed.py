"""Demo data for `make run`: loaded once, then reused; prints how to try the product."""

import hashlib
import importlib
import secrets
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

# Each domain seeds its own demo rows, in order; a seeder returns the lines to print.
DEMO_SEEDERS = [
    "devserver.demo.backoffice",
    "devserver.demo.knowledge",
    "devserver.demo.meetings",
]


def load_demo_data(db: Session, data_dir: Path) -> list[str]:
    """Seeds whatever demo data is missing and returns the lines that tell a user how to log in."""
    data_dir.mkdir(parents=True, exist_ok=True)
    notes_file = data_dir / f"demo-credentials-{database_identity(db)}.txt"
    context: dict = {"password_factory": lambda: secrets.token_urlsafe(12)}
    lines: list[str] = []
    for module_name in DEMO_SEEDERS:
        lines.extend(importlib.import_module(module_name).seed(db, context))
    db.commit()
    if lines:
        with notes_file.open("a") as notes:
            notes.write("\n".join(lines) + "\n")
        notes_file.chmod(0o600)
    return notes_file.read_text().splitlines() if notes_file.exists() else []


def database_identity(db: Session) -> str:
    """Names the server and database in use (a recreated database gets a new oid), so each keeps only the
    demo logins created in it."""
    url = db.get_bind().engine.url
    oid = db.execute(text("SELECT oid FROM pg_database WHERE datname = current_database()")).scalar_one()
    where = f"{url.host or ''}:{url.port or ''}:{url.query.get('host', '')}/{url.database}/{oid}"
    return hashlib.sha256(where.encode()).hexdigest()[:12]
