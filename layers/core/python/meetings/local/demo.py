"""Demo data for `make run`: loaded once, then reused; prints how to try the product."""

import importlib
import secrets
from pathlib import Path

from sqlalchemy.orm import Session

# Each domain seeds its own demo rows, in order; a seeder returns the lines to print.
DEMO_SEEDERS = [
    "meetings.manager.demo",
    "meetings.manager.knowledge.demo",
    "meetings.secretary.demo",
]


def load_demo_data(db: Session, data_dir: Path) -> list[str]:
    """Seeds whatever demo data is missing and returns the lines that tell a user how to log in."""
    data_dir.mkdir(parents=True, exist_ok=True)
    notes_file = data_dir / "demo-credentials.txt"
    context: dict = {"password_factory": lambda: secrets.token_urlsafe(12)}
    lines: list[str] = []
    for module_name in DEMO_SEEDERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        lines.extend(module.seed(db, context))
    db.commit()
    if lines:
        with notes_file.open("a") as notes:
            notes.write("\n".join(lines) + "\n")
        notes_file.chmod(0o600)
    return notes_file.read_text().splitlines() if notes_file.exists() else []
