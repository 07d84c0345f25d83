"""Document type detection (declared type AND content) and text extraction with pages and sections.

Imports of pypdf and python-docx are deferred: the manager API imports this module for checks at
upload time and should not pay for parsers it does not use.
"""

import enum
import io
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from meetings.errors import UnsupportedMediaType, ValidationFailed


class DocumentType(enum.StrEnum):
    PDF = "application/pdf"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    MARKDOWN = "text/markdown"
    TEXT = "text/plain"


CONTENT_TYPE_ALIASES = {
    "application/pdf": DocumentType.PDF,
    DocumentType.DOCX.value: DocumentType.DOCX,
    "text/markdown": DocumentType.MARKDOWN,
    "text/x-markdown": DocumentType.MARKDOWN,
    "text/plain": DocumentType.TEXT,
}
EXTENSIONS = {
    ".pdf": DocumentType.PDF,
    ".docx": DocumentType.DOCX,
    ".md": DocumentType.MARKDOWN,
    ".markdown": DocumentType.MARKDOWN,
    ".txt": DocumentType.TEXT,
    ".text": DocumentType.TEXT,
}
# Clients that do not know a type send one of these; the file name and the content decide then.
GENERIC_CONTENT_TYPES = {"", "application/octet-stream", "binary/octet-stream"}


@dataclass(frozen=True)
class TextBlock:
    """A run of text from one page (and one section, where the format has headings)."""

    text: str
    page: int
    section: str | None = None


@dataclass(frozen=True)
class ExtractedDocument:
    blocks: list[TextBlock]
    page_count: int


def unsupported(message: str) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        message,
        code="unsupported_document_type",
        details={"allowed": sorted({t.value for t in DocumentType} | {"text/x-markdown"})},
    )


def unreadable(reason: str) -> ValidationFailed:
    return ValidationFailed(f"The document cannot be read: {reason}", code="unreadable_document")


def empty() -> ValidationFailed:
    return ValidationFailed("The document contains no text.", code="empty_document")


def declared_document_type(content_type: str | None, document_name: str) -> DocumentType:
    """The type a client declares: its content type, or the file extension for a generic one."""
    base = (content_type or "").split(";")[0].strip().lower()
    if base in CONTENT_TYPE_ALIASES:
        return CONTENT_TYPE_ALIASES[base]
    if base in GENERIC_CONTENT_TYPES:
        extension = PurePosixPath(document_name).suffix.lower()
        if extension in EXTENSIONS:
            return EXTENSIONS[extension]
    raise unsupported(f"Content type {base or 'unknown'} is not a supported document type.")


def detect_document_type(data: bytes, content_type: str | None, document_name: str) -> DocumentType:
    """Checks that the content is what the declared type says; raises 415 or 422 otherwise."""
    declared = declared_document_type(content_type, document_name)
    if not data:
        raise empty()
    if declared is DocumentType.PDF and not data[:1024].lstrip().startswith(b"%PDF-"):
        raise unsupported("The file is not a PDF.")
    if declared is DocumentType.DOCX and not (data.startswith(b"PK\x03\x04") and b"word/" in data):
        raise unsupported("The file is not a DOCX document.")
    if declared in (DocumentType.MARKDOWN, DocumentType.TEXT):
        decode_text(data)
    return declared


def decode_text(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped); binary content is refused."""
    if b"\x00" in data[:8192]:
        raise unsupported("The file is binary, not text.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise unsupported("Text documents must be UTF-8.") from exc


def extract_document(data: bytes, document_type: DocumentType) -> ExtractedDocument:
    """Extracts text blocks with page numbers (PDF) or sections (DOCX, Markdown)."""
    extractors = {
        DocumentType.PDF: _extract_pdf,
        DocumentType.DOCX: _extract_docx,
        DocumentType.MARKDOWN: _extract_markdown,
        DocumentType.TEXT: _extract_text,
    }
    document = extractors[document_type](data)
    blocks = [TextBlock(clean(b.text), b.page, b.section) for b in document.blocks]
    blocks = [block for block in blocks if block.text]
    if not blocks:
        raise empty()
    return ExtractedDocument(blocks=blocks, page_count=document.page_count)


def clean(value: str) -> str:
    """Drops NUL and control characters, collapses runs of spaces and of blank lines."""
    value = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", value.replace("\r\n", "\n").replace("\r", "\n"))
    value = re.sub(r"[ \t\u00a0]+", " ", value)
    value = re.sub(r" *\n *", "\n", value)
    return re.sub(r"\n{3,}", "\n\n", value).strip()


def _extract_pdf(data: bytes) -> ExtractedDocument:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise unreadable("the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ValidationFailed:
        raise
    except Exception as exc:  # pypdf raises assorted error types on broken files
        raise unreadable("the PDF is damaged") from exc
    return ExtractedDocument(
        [TextBlock(text, number) for number, text in enumerate(pages, start=1)], len(pages)
    )


def _extract_docx(data: bytes) -> ExtractedDocument:
    import zipfile

    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise unreadable("the DOCX file is damaged") from exc
    blocks: list[TextBlock] = []
    section: str | None = None
    lines: list[str] = []

    def close_section() -> None:
        if lines:
            blocks.append(TextBlock("\n".join(lines), 1, section))
            lines.clear()

    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.lower().startswith(("heading", "title")) and paragraph.text.strip():
            close_section()
            section = paragraph.text.strip()
            lines.append(section)
        elif paragraph.text.strip():
            lines.append(paragraph.text)
    close_section()
    for table in document.tables:
        rows = [" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows]
        blocks.append(TextBlock("\n".join(rows), 1, None))
    return ExtractedDocument(blocks, 1)


HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$")


def _extract_markdown(data: bytes) -> ExtractedDocument:
    blocks: list[TextBlock] = []
    section: str | None = None
    lines: list[str] = []
    in_code = False
    for line in decode_text(data).splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        heading = None if in_code else HEADING.match(line)
        if heading:
            if "".join(lines).strip():
                blocks.append(TextBlock("\n".join(lines), 1, section))
            lines = []
            section = heading.group(2).strip()
        lines.append(line)
    if "".join(lines).strip():
        blocks.append(TextBlock("\n".join(lines), 1, section))
    return ExtractedDocument(blocks, 1)


def _extract_text(data: bytes) -> ExtractedDocument:
    return ExtractedDocument([TextBlock(decode_text(data), 1)], 1)
