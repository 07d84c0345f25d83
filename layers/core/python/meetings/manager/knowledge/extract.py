"""Document type sniffing (declared type AND content) and text extraction with pages and sections,
within budgets that a crafted file cannot exceed without being refused.

Sniffing is cheap (magic bytes, UTF-8, a DOCX's zip directory) and is all the upload request does.
Extraction runs in the ingestion job, in a resource-limited child process (isolation.py). Imports of
pypdf and python-docx are deferred to the extractors.
"""

import re
from pathlib import PurePosixPath

from meetings.manager.knowledge.reading import (
    BUDGETS,
    Budgets,
    DocumentType,
    ExtractedDocument,
    TextBlock,
    TextBudget,
    empty,
    unsupported,
)

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


def detect_document_type(
    data: bytes, content_type: str | None, document_name: str, budgets: Budgets = BUDGETS
) -> DocumentType:
    """Sniffs that the content is what the declared type says, without parsing it; 413, 415 or 422."""
    declared = declared_document_type(content_type, document_name)
    if not data:
        raise empty()
    if declared is DocumentType.PDF and not data[:1024].lstrip().startswith(b"%PDF-"):
        raise unsupported("The file is not a PDF.")
    if declared is DocumentType.DOCX:
        from meetings.manager.knowledge.extract_docx import check_docx_container

        check_docx_container(data, budgets)
    if declared in (DocumentType.MARKDOWN, DocumentType.TEXT) and not decode_text(data).strip():
        raise empty()
    return declared


def decode_text(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped); binary content is refused."""
    if b"\x00" in data[:8192]:
        raise unsupported("The file is binary, not text.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise unsupported("Text documents must be UTF-8.") from exc


def extract_document(
    data: bytes, document_type: DocumentType, budgets: Budgets = BUDGETS
) -> ExtractedDocument:
    """Extracts text blocks with page numbers (PDF) or sections (DOCX, Markdown), within the budgets.

    Every failure is a DomainError (unreadable, empty, over budget); this runs untrusted input, so the
    ingestion job calls it through isolation.extract_isolated, which also bounds time and memory.
    """
    if document_type is DocumentType.PDF:
        from meetings.manager.knowledge.extract_pdf import extract_pdf as extractor
    elif document_type is DocumentType.DOCX:
        from meetings.manager.knowledge.extract_docx import extract_docx as extractor
    elif document_type is DocumentType.MARKDOWN:
        extractor = _extract_markdown
    else:
        extractor = _extract_text
    document = extractor(data, budgets)
    blocks = [TextBlock(clean(b.text), b.page, clean(b.section or "") or None) for b in document.blocks]
    blocks = [block for block in blocks if block.text]
    if not blocks:
        raise empty()
    return ExtractedDocument(blocks=blocks, page_count=document.page_count)


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BLANKS = re.compile(r"[ \t\u00a0]+")
SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")
BLANK_LINES = re.compile(r"\n{3,}")


def clean(value: str) -> str:
    """Drops NUL and control characters, collapses runs of spaces and of blank lines.

    Each pattern matches one unambiguous run (single character classes, no nested or adjacent
    quantifiers over the same characters), so each pass is linear in the text's length.
    """
    value = CONTROL_CHARACTERS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    value = BLANKS.sub(" ", value)
    value = SPACE_AROUND_NEWLINE.sub("\n", value)
    return BLANK_LINES.sub("\n\n", value).strip()


def markdown_heading(line: str, budgets: Budgets = BUDGETS) -> str | None:
    """The text of an ATX heading (`## Refunds ##` → `Refunds`, runs of blanks as one space), else None;
    linear in the line's length.

    Lines longer than the budget are never headings (they stay text), so no heading costs more.
    """
    if len(line) > budgets.heading_line_chars:
        return None
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3:
        return None
    level = len(stripped) - len(stripped.lstrip("#"))
    rest = stripped[level:]
    if not 1 <= level <= 6 or not rest[:1].isspace():
        return None
    text = rest.strip()
    without_closing = text.rstrip("#")
    if without_closing != text and (not without_closing or without_closing[-1].isspace()):
        text = without_closing
    return " ".join(text.split()) or None


def _extract_markdown(data: bytes, budgets: Budgets) -> ExtractedDocument:
    text = TextBudget(budgets).take(decode_text(data))
    blocks: list[TextBlock] = []
    section: str | None = None
    lines: list[str] = []
    in_code = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        heading = None if in_code else markdown_heading(line, budgets)
        if heading:
            if "".join(lines).strip():
                blocks.append(TextBlock("\n".join(lines), 1, section))
            lines = []
            section = heading
        lines.append(line)
    if "".join(lines).strip():
        blocks.append(TextBlock("\n".join(lines), 1, section))
    return ExtractedDocument(blocks, 1)


def _extract_text(data: bytes, budgets: Budgets) -> ExtractedDocument:
    return ExtractedDocument([TextBlock(TextBudget(budgets).take(decode_text(data)), 1)], 1)
