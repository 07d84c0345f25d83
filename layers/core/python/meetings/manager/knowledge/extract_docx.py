"""DOCX: the zip directory is checked against the budgets before any part is inflated, then the
paragraphs (sections under headings) and tables are read within the character budget."""

import io
import zipfile

from meetings.errors import DomainError
from meetings.manager.knowledge.reading import (
    Budgets,
    ExtractedDocument,
    TextBlock,
    TextBudget,
    check_expansion,
    over_budget,
    unreadable,
    unsupported,
)

XML_SUFFIXES = (".xml", ".rels")


def check_docx_container(data: bytes, budgets: Budgets) -> None:
    """Reads only the zip's central directory: a DOCX's parts, their sizes and their compression.

    The declared sizes bound what reading can inflate: zipfile stops at a part's declared size (and
    then fails its CRC), so a part cannot expand beyond what is checked here.
    """
    if not data.startswith(b"PK\x03\x04"):
        raise unsupported("The file is not a DOCX document.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    # NotImplementedError: a zip version or feature zipfile does not read (the directory says so).
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError) as exc:
        raise unreadable("the DOCX file is damaged") from exc
    names = {part.filename for part in parts}
    if "[Content_Types].xml" not in names or not any(name.startswith("word/") for name in names):
        raise unsupported("The file is not a DOCX document.")
    if len(parts) > budgets.docx_parts:
        raise over_budget(
            "docx_parts",
            budgets.docx_parts,
            len(parts),
            f"{len(parts):,} parts (at most {budgets.docx_parts:,})",
        )
    inflated = sum(part.file_size for part in parts)
    if inflated > budgets.docx_uncompressed_bytes:
        raise over_budget(
            "docx_uncompressed_bytes",
            budgets.docx_uncompressed_bytes,
            inflated,
            f"it expands to {inflated:,} bytes (at most {budgets.docx_uncompressed_bytes:,})",
        )
    xml = [part for part in parts if part.filename.lower().endswith(XML_SUFFIXES)]
    xml_bytes = sum(part.file_size for part in xml)
    if xml_bytes > budgets.docx_xml_bytes:
        raise over_budget(
            "docx_xml_bytes",
            budgets.docx_xml_bytes,
            xml_bytes,
            f"its XML parts expand to {xml_bytes:,} bytes (at most {budgets.docx_xml_bytes:,})",
        )
    for part in parts:
        check_expansion(f"the part {part.filename[:100]}", part.file_size, part.compress_size, budgets)
    check_expansion("its parts", inflated, sum(part.compress_size for part in parts), budgets)


def extract_docx(data: bytes, budgets: Budgets) -> ExtractedDocument:
    """Body paragraphs grouped under their headings, then each table as rows of `a | b` cells."""
    check_docx_container(data, budgets)
    from docx import Document

    text = TextBudget(budgets)
    blocks: list[TextBlock] = []
    section: str | None = None
    lines: list[str] = []

    def close_section() -> None:
        if lines:
            blocks.append(TextBlock("\n".join(lines), 1, section))
            lines.clear()

    try:
        document = Document(io.BytesIO(data))
        style_names = {style.style_id: style.name or "" for style in document.styles}
        default_style = document.styles.default(_paragraph_style_type())
        default_name = (default_style.name if default_style is not None else "") or ""
        for paragraph in document.paragraphs:
            content = text.take(paragraph.text)
            if not content.strip():
                continue
            style_id = paragraph._p.style  # the w:pStyle id; a lookup per paragraph through the API is slow
            style = style_names.get(style_id, default_name) if style_id else default_name
            if style.lower().startswith(("heading", "title")) and len(content) <= budgets.heading_line_chars:
                close_section()
                section = " ".join(content.split())
                lines.append(content.strip())
            else:
                lines.append(content)
        close_section()
        for table in document.tables:
            rows = [text.take(" | ".join(cell.text.strip() for cell in row.cells)) for row in table.rows]
            blocks.append(TextBlock("\n".join(rows), 1, None))
    except (DomainError, MemoryError):
        raise
    except Exception as exc:  # python-docx and lxml raise assorted error types on malformed parts
        raise unreadable("the DOCX file is damaged") from exc
    return ExtractedDocument(blocks, 1)


def _paragraph_style_type():
    from docx.enum.style import WD_STYLE_TYPE

    return WD_STYLE_TYPE.PARAGRAPH
