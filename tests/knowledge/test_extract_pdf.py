"""PDF budgets: pages, decoded drawing instructions (shared streams and forms counted per page),
expansion against the file's size, and characters; damaged files are unreadable."""

import pytest

from meetings.errors import PayloadTooLarge
from meetings.manager.knowledge.extract import extract_document
from meetings.manager.knowledge.isolation import ExtractionLimits, extract_isolated
from meetings.manager.knowledge.reading import BUDGETS, Budgets, DocumentType
from tests.knowledge.documents import make_pdf
from tests.knowledge.hostile import shared_content_pdf

ROOMY = dict(pdf_content_bytes=10**9, expansion_ratio=10**6)


def refused(data: bytes, budgets: Budgets = BUDGETS) -> dict:
    with pytest.raises(PayloadTooLarge) as error:
        extract_document(data, DocumentType.PDF, budgets)
    assert error.value.code == "document_too_large"
    return error.value.details


def test_500_pages_sharing_one_content_stream_are_refused_before_any_text_is_read():
    """Extracting it took 20 to 35 s of CPU; 2 s in the child is enough to refuse it."""
    data = shared_content_pdf(pages=500, stream_bytes=100_000)

    with pytest.raises(PayloadTooLarge) as error:
        extract_isolated(data, DocumentType.PDF, limits=ExtractionLimits(cpu_seconds=2, wall_seconds=30))

    assert error.value.details["limit"] == "pdf_content_bytes"
    assert error.value.details["actual"] >= 500 * 100_000
    assert "drawing instructions" in error.value.message


def test_a_form_drawn_on_every_page_counts_on_every_page():
    data = shared_content_pdf(pages=20, stream_bytes=10_000, as_form=True)

    details = refused(data, Budgets(pdf_content_bytes=150_000, expansion_ratio=10**6))

    assert details["limit"] == "pdf_content_bytes" and details["actual"] >= 20 * 10_000
    document = extract_document(data, DocumentType.PDF, Budgets(**ROOMY))
    assert document.page_count == 20 and "word0" in document.blocks[0].text


def test_content_that_expands_far_beyond_the_file_is_refused():
    data = shared_content_pdf(pages=100, stream_bytes=50_000)

    details = refused(data)

    assert details["limit"] == "expansion_ratio" and details["actual"] > 100


def test_pages_beyond_the_budget_are_refused():
    data = make_pdf(["Page."] * 5)

    assert refused(data, Budgets(pdf_pages=4))["limit"] == "pdf_pages"
    assert extract_document(data, DocumentType.PDF, Budgets(pdf_pages=5)).page_count == 5


def test_text_beyond_the_character_budget_stops_extraction():
    data = make_pdf(["x" * 100] * 10)

    assert refused(data, Budgets(text_chars=500))["limit"] == "text_chars"


def test_a_page_tree_declaring_more_pages_than_the_budget_is_refused_before_it_is_walked():
    data = make_pdf(["Page."]).replace(b"/Count 1 >>", b"/Count 99>>")

    details = refused(data, Budgets(pdf_pages=50))

    assert (details["limit"], details["actual"]) == ("pdf_pages", 99)
