"""DOCX: the zip directory is checked against the budgets before anything is inflated; malformed
parts are unreadable; headings become sections."""

import io
import zipfile

import pytest

from meetings.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from meetings.manager.knowledge.extract import detect_document_type, extract_document
from meetings.manager.knowledge.isolation import ExtractionLimits, extract_isolated
from meetings.manager.knowledge.reading import Budgets, DocumentType
from tests.knowledge.documents import make_docx
from tests.knowledge.hostile import docx_bomb, malformed_part_docx

DOCX = DocumentType.DOCX.value


def with_part(name: str, content: bytes, compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO(make_docx([("Title", ["Text."])]))
    with zipfile.ZipFile(out, "a", compression) as archive:
        archive.writestr(name, content)
    return out.getvalue()


def test_a_zip_bomb_is_refused_from_its_directory_alone():
    """348 KB that inflated to 1.2 GB in python-docx: refused before inflating, even in a 256 MB child."""
    data = docx_bomb()

    with pytest.raises(PayloadTooLarge) as sniffed:
        detect_document_type(data, DOCX, "bomb.docx")
    with pytest.raises(PayloadTooLarge) as extracted:
        extract_isolated(data, DocumentType.DOCX, limits=ExtractionLimits(memory_bytes=256 * 1024 * 1024))

    assert len(data) < 400_000
    assert sniffed.value.code == extracted.value.code == "document_too_large"
    assert sniffed.value.details["limit"] == "docx_xml_bytes"
    assert sniffed.value.details["actual"] > 100_000_000


@pytest.mark.parametrize(
    ("budgets", "limit"),
    [
        (Budgets(docx_parts=5), "docx_parts"),
        (Budgets(docx_uncompressed_bytes=3_000_000), "docx_uncompressed_bytes"),
        (Budgets(docx_xml_bytes=100_000, docx_uncompressed_bytes=10**9), "docx_xml_bytes"),
        (Budgets(docx_xml_bytes=10**9, docx_uncompressed_bytes=10**9), "expansion_ratio"),
    ],
)
def test_each_container_budget_is_enforced(budgets, limit):
    data = with_part("word/media/padding.xml", b"<a/>" * 1_000_000)

    with pytest.raises(PayloadTooLarge) as error:
        detect_document_type(data, DOCX, "a.docx", budgets)

    assert error.value.details["limit"] == limit


def test_images_stored_without_compression_pass_the_ratio_check():
    data = with_part("word/media/photo.jpeg", bytes(range(256)) * 8_000, zipfile.ZIP_STORED)

    assert detect_document_type(data, DOCX, "photo.docx") is DocumentType.DOCX


def test_a_malformed_part_is_unreadable_not_a_crash():
    data = malformed_part_docx()

    assert detect_document_type(data, DOCX, "broken.docx") is DocumentType.DOCX  # the zip itself is sound
    with pytest.raises(ValidationFailed) as error:
        extract_isolated(data, DocumentType.DOCX)

    assert error.value.code == "unreadable_document"
    assert "DOCX file is damaged" in error.value.message


@pytest.mark.parametrize(
    ("data", "error_type", "code"),
    [
        (b"PK\x03\x04 not really a zip", ValidationFailed, "unreadable_document"),
        (b"%PDF-1.4", UnsupportedMediaType, "unsupported_document_type"),
    ],
)
def test_damaged_or_foreign_containers(data, error_type, code):
    with pytest.raises(error_type) as error:
        detect_document_type(data, DOCX, "a.docx")
    assert error.value.code == code


def test_a_zip_that_is_not_a_word_document_is_unsupported():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")

    with pytest.raises(UnsupportedMediaType):
        detect_document_type(out.getvalue(), DOCX, "sheet.docx")


def test_an_overlong_heading_stays_text():
    data = make_docx([("Short heading", ["Body."]), ("H" * 50, ["More."])])

    blocks = extract_document(data, DocumentType.DOCX, Budgets(heading_line_chars=20)).blocks

    assert [block.section for block in blocks] == ["Short heading"]


def test_a_zip_version_zipfile_cannot_read_is_unreadable_not_a_crash():
    """The directory's "version needed to extract" patched to 25.5 (zipfile reads up to 6.3)."""
    data = bytearray(make_docx([("Title", ["Some body text"])]))
    entry = data.find(b"PK\x01\x02")  # the first central-directory entry
    data[entry + 6] = 0xFF

    with pytest.raises(ValidationFailed) as error:
        detect_document_type(bytes(data), DOCX, "a.docx")
    assert error.value.code == "unreadable_document"
