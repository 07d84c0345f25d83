"""Type detection by declared type and content, and text extraction with pages and sections."""

import pytest

from meetings.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from meetings.manager.knowledge.extract import detect_document_type, extract_document, markdown_heading
from meetings.manager.knowledge.isolation import ExtractionLimits, extract_isolated
from meetings.manager.knowledge.reading import Budgets, DocumentType
from tests.knowledge.documents import make_docx, make_pdf
from tests.knowledge.hostile import spaces_heading_markdown


def test_pdf_text_keeps_its_page_numbers():
    data = make_pdf(["Cardiology opens at 8 am.", "", "Payments by card only."])

    document = extract_document(data, detect_document_type(data, "application/pdf", "hours.pdf"))

    assert document.page_count == 3
    assert [(block.page, block.text) for block in document.blocks] == [
        (1, "Cardiology opens at 8 am."),
        (3, "Payments by card only."),
    ]


def test_docx_headings_become_sections():
    data = make_docx([("Prices", ["A consultation costs 200."]), ("Parking", ["Free for patients."])])

    document = extract_document(data, detect_document_type(data, None, "faq.docx"))

    assert [(block.section, block.text) for block in document.blocks] == [
        ("Prices", "Prices\nA consultation costs 200."),
        ("Parking", "Parking\nFree for patients."),
    ]


def test_markdown_headings_become_sections_but_not_inside_code():
    data = b"Welcome.\n\n# Billing\nWe take cards.\n```\n# not a heading\n```\n## Refunds ##\nWithin 7 days."

    blocks = extract_document(data, detect_document_type(data, "text/markdown", "faq.md")).blocks

    assert [block.section for block in blocks] == [None, "Billing", "Refunds"]
    assert "# not a heading" in blocks[1].text


def test_plain_text_drops_control_characters_and_collapses_whitespace():
    data = "\ufeffLine   one\x07\r\n\r\n\r\n\r\nLine\ttwo".encode("utf-8")

    blocks = extract_document(
        data, detect_document_type(data, "text/plain; charset=utf-8", "notes.txt")
    ).blocks

    assert blocks[0].text == "Line one\n\nLine two"


@pytest.mark.parametrize(
    ("content_type", "name", "expected"),
    [
        (None, "a.md", DocumentType.MARKDOWN),
        ("application/octet-stream", "a.TXT", DocumentType.TEXT),
        ("text/x-markdown", "a", DocumentType.MARKDOWN),
    ],
)
def test_generic_content_types_fall_back_to_the_extension(content_type, name, expected):
    assert detect_document_type(b"hello", content_type, name) is expected


@pytest.mark.parametrize(
    ("data", "content_type", "name"),
    [
        (b"\x89PNG\r\n\x1a\n", "image/png", "a.png"),
        (b"hello", "application/octet-stream", "a.exe"),
        (b"just text", "application/pdf", "a.pdf"),
        (b"%PDF-1.4 not a zip", DocumentType.DOCX.value, "a.docx"),
        (b"\xff\xfe\x00h\x00i", "text/plain", "a.txt"),
        ("café".encode("latin-1"), "text/plain", "a.txt"),
    ],
)
def test_other_types_and_content_that_does_not_match_are_unsupported(data, content_type, name):
    with pytest.raises(UnsupportedMediaType) as error:
        detect_document_type(data, content_type, name)
    assert error.value.code == "unsupported_document_type"


def test_empty_files_and_files_without_text_are_empty_documents():
    with pytest.raises(ValidationFailed) as error:
        detect_document_type(b"", "text/plain", "a.txt")
    assert error.value.code == "empty_document"
    with pytest.raises(ValidationFailed) as error:
        extract_document(make_pdf([""]), DocumentType.PDF)
    assert error.value.code == "empty_document"
    with pytest.raises(ValidationFailed) as error:
        extract_document(b"  \n\t\n", DocumentType.TEXT)
    assert error.value.code == "empty_document"


@pytest.mark.parametrize(
    ("data", "document_type"),
    [
        (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog garbage", DocumentType.PDF),
        (make_pdf(["ok"])[:60], DocumentType.PDF),
        (b"PK\x03\x04word/ truncated", DocumentType.DOCX),
    ],
)
def test_damaged_files_are_unreadable(data, document_type):
    with pytest.raises(ValidationFailed) as error:
        extract_document(data, document_type)
    assert error.value.code == "unreadable_document"


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("# Billing", "Billing"),
        ("   ## Refunds ##  ", "Refunds"),
        ("### C#", "C#"),
        ("#\tTabbed", "Tabbed"),
        ("# a  b  #  ", "a b"),
        ("#hashtag", None),
        ("    # indented code", None),
        ("####### seven", None),
        ("#", None),
        ("# #", None),
        ("Plain # text", None),
    ],
)
def test_markdown_atx_headings(line, heading):
    assert markdown_heading(line) == heading


def test_a_heading_line_of_thousands_of_spaces_is_read_in_linear_time():
    """The old pattern took 53 s of CPU on 3,000 spaces and grew with their cube; the child's 2 s of
    CPU would stop it at a tenth of that, so a pass here is the linear parser's."""
    roomy = Budgets(heading_line_chars=1_000_000)
    limits = ExtractionLimits(cpu_seconds=2, wall_seconds=30)

    for spaces in (3_000, 300_000):
        blocks = extract_isolated(
            spaces_heading_markdown(spaces), DocumentType.MARKDOWN, limits=limits, budgets=roomy
        ).blocks

        assert [block.section for block in blocks] == [None, "a b"]


def test_lines_longer_than_the_heading_cap_stay_text():
    blocks = extract_document(spaces_heading_markdown(), DocumentType.MARKDOWN).blocks

    assert [block.section for block in blocks] == [None]
    assert "Body text." in blocks[0].text


def test_text_beyond_the_character_budget_is_refused():
    with pytest.raises(PayloadTooLarge) as error:
        extract_document(b"word " * 1000, DocumentType.TEXT, Budgets(text_chars=4_999))
    assert (error.value.code, error.value.details["limit"]) == ("document_too_large", "text_chars")
    assert extract_document(b"word " * 1000, DocumentType.TEXT, Budgets(text_chars=5_000)).blocks
