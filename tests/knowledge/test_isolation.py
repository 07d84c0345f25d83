"""Extraction in a child process: the same answers as in process, and a stop with a reason when a
document costs more processor time, wall-clock time or memory than the limits allow."""

import pytest

from meetings.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from meetings.manager.knowledge.extract import extract_document
from meetings.manager.knowledge.isolation import ExtractionLimits, extract_isolated
from meetings.manager.knowledge.reading import Budgets, DocumentType
from tests.knowledge.documents import make_docx, make_pdf
from tests.knowledge.hostile import shared_content_pdf

MB = 1024 * 1024
# Budgets out of the way, so that only the child's limits can stop the shared-stream PDF (which
# takes tens of seconds of CPU to read in full).
NO_BUDGETS = Budgets(pdf_content_bytes=10**10, expansion_ratio=10**9, text_chars=10**9)


@pytest.mark.parametrize(
    ("data", "document_type"),
    [
        (make_pdf(["Cardiology opens at 8 am.", "", "Payments by card only."]), DocumentType.PDF),
        (make_docx([("Prices", ["A consultation costs 200."])]), DocumentType.DOCX),
        (b"# Billing\nWe take cards.\n## Refunds\nWithin 7 days.", DocumentType.MARKDOWN),
    ],
)
def test_the_child_answers_what_extraction_in_process_answers(data, document_type):
    assert extract_isolated(data, document_type) == extract_document(data, document_type)


@pytest.mark.parametrize(
    ("data", "document_type", "error_type", "code"),
    [
        (b"  \n ", DocumentType.TEXT, ValidationFailed, "empty_document"),
        (b"\xff\xfe\x00t", DocumentType.TEXT, UnsupportedMediaType, "unsupported_document_type"),
        (b"%PDF-1.4\n1 0 obj << broken", DocumentType.PDF, ValidationFailed, "unreadable_document"),
    ],
)
def test_domain_errors_cross_the_process_boundary(data, document_type, error_type, code):
    with pytest.raises(error_type) as error:
        extract_isolated(data, document_type)
    assert error.value.code == code


def test_budget_details_cross_the_process_boundary():
    with pytest.raises(PayloadTooLarge) as error:
        extract_isolated(make_pdf(["a", "b"]), DocumentType.PDF, budgets=Budgets(pdf_pages=1))
    assert error.value.details == {"limit": "pdf_pages", "max": 1, "actual": 2}


def test_a_document_needing_more_processor_time_than_allowed_fails_with_that_reason():
    data = shared_content_pdf(pages=200)

    with pytest.raises(ValidationFailed) as error:
        extract_isolated(
            data,
            DocumentType.PDF,
            limits=ExtractionLimits(cpu_seconds=1, wall_seconds=120),
            budgets=NO_BUDGETS,
        )

    assert error.value.code == "unreadable_document"
    assert "more than 1 s of processor time" in error.value.message


def test_a_document_taking_longer_than_the_wall_clock_limit_fails_with_that_reason():
    data = shared_content_pdf(pages=200)

    with pytest.raises(ValidationFailed) as error:
        extract_isolated(
            data,
            DocumentType.PDF,
            limits=ExtractionLimits(cpu_seconds=120, wall_seconds=1),
            budgets=NO_BUDGETS,
        )

    assert "took longer than 1 s" in error.value.message


def test_a_document_needing_more_memory_than_allowed_fails_with_that_reason():
    """Five million two-letter lines: a few hundred MB of line objects in Markdown extraction."""
    data = b"ab\n" * 5_000_000

    with pytest.raises(ValidationFailed) as error:
        extract_isolated(
            data, DocumentType.MARKDOWN, limits=ExtractionLimits(memory_bytes=160 * MB), budgets=NO_BUDGETS
        )

    assert error.value.code == "unreadable_document"
    assert "more than 160 MB of memory" in error.value.message


def test_the_child_gets_no_secrets_from_the_environment(monkeypatch):
    """The child's program is swapped for one that answers its environment's names as the text."""
    from meetings.manager.knowledge import isolation

    monkeypatch.setenv("DATABASE_URL", "postgresql://user:secret@db/meetings")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setattr(
        isolation,
        "CHILD",
        "import json, os, sys; sys.stdin.buffer.read(); "
        "print(json.dumps({'blocks': [[' '.join(sorted(os.environ)), 1, None]], 'page_count': 1}))",
    )

    names = extract_isolated(b"text", DocumentType.TEXT).blocks[0].text.split()

    assert "PYTHONPATH" in names
    assert "DATABASE_URL" not in names and "AWS_SECRET_ACCESS_KEY" not in names
