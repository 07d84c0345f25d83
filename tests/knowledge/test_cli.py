"""`meetings kb ingest FILE...` against the test database, with the real model."""

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from meetings.cli import main
from meetings.db_scope import set_db_scope
from meetings.manager.entities.models import Entity
from meetings.manager.knowledge.models import DocumentStatus, KnowledgeDocument
from tests.factories import make_department, make_entity
from tests.knowledge.documents import make_pdf


@pytest.fixture
def committed_entity(engine, owner_engine):
    with set_db_scope(Session(engine, expire_on_commit=False), "manager") as session:
        entity = make_entity(session, name=f"CLI clinic {uuid.uuid4()}")
        department = make_department(session, entity)
        session.commit()
    yield entity, department
    with Session(owner_engine) as session:
        session.delete(session.get(Entity, entity.id))
        session.commit()


def documents(engine, entity_id: int) -> dict[str, KnowledgeDocument]:
    with set_db_scope(Session(engine), "manager") as session:
        rows = session.execute(
            select(KnowledgeDocument).where(KnowledgeDocument.entity_id == entity_id)
        ).scalars()
        return {row.document_name: row for row in rows}


def test_ingests_files_with_a_progress_bar_and_reports_failures(
    engine, embedder, committed_entity, tmp_path, capsys
):
    entity, department = committed_entity
    (tmp_path / "faq.md").write_text("# Parking\nPatients park for free.\n# Prices\nA visit costs 200.")
    (tmp_path / "protocol.pdf").write_bytes(make_pdf(["Step one.", "Step two."]))
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    files = [str(tmp_path / name) for name in ("faq.md", "protocol.pdf", "photo.png")]

    status = main(
        ["kb", "ingest", "--entity-id", str(entity.id), "--department-id", str(department.id), *files]
    )

    assert status == 1
    stored = documents(engine, entity.id)
    assert {name: (doc.status, doc.chunk_count, doc.department_id) for name, doc in stored.items()} == {
        "faq.md": (DocumentStatus.READY, 2, department.id),
        "protocol.pdf": (DocumentStatus.READY, 2, department.id),
        "photo.png": (DocumentStatus.FAILED, 0, department.id),
    }
    assert "chunk" in capsys.readouterr().err

    again = main(
        ["kb", "ingest", "--entity-id", str(entity.id), "--department-id", str(department.id), files[0]]
    )
    assert again == 0
    assert documents(engine, entity.id)["faq.md"].ingested_at == stored["faq.md"].ingested_at


def test_missing_files_are_a_usage_error(tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(["kb", "ingest", "--entity-id", "1", str(tmp_path / "nope.md")])
    assert exit_.value.code == 2


def test_the_console_script_runs_in_a_fresh_process(engine, database_url, committed_entity, tmp_path):
    import os
    import subprocess
    import sys

    entity, _ = committed_entity
    (tmp_path / "notes.txt").write_text("Bring your vaccination card.")
    # The migrator's URL, as `make` hands it over: the command logs in as the jobs role instead.
    env = {
        **os.environ,
        "DATABASE_URL": database_url.replace("+psycopg", ""),
        "LOCAL_DATA_DIR": str(tmp_path),
    }

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "meetings.cli",
            "kb",
            "ingest",
            "--entity-id",
            str(entity.id),
            str(tmp_path / "notes.txt"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    assert documents(engine, entity.id)["notes.txt"].status == DocumentStatus.READY
