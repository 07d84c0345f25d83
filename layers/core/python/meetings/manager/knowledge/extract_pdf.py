"""PDF text by page, within page, content-stream, expansion and character budgets."""

import io

from meetings.errors import DomainError
from meetings.manager.knowledge.reading import (
    Budgets,
    ExtractedDocument,
    TextBlock,
    TextBudget,
    check_expansion,
    over_budget,
    unreadable,
)


def extract_pdf(data: bytes, budgets: Budgets) -> ExtractedDocument:
    """Each page's text; the pages' decoded content is measured (and refused) before any is read."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise unreadable("the PDF is encrypted")
        declared = reader.trailer["/Root"]["/Pages"].get("/Count", 0)
        # The declared count refuses a huge page tree before it is walked; the walked one may differ.
        page_count = (
            declared if isinstance(declared, int) and declared > budgets.pdf_pages else len(reader.pages)
        )
        if page_count > budgets.pdf_pages:
            raise over_budget(
                "pdf_pages",
                budgets.pdf_pages,
                page_count,
                f"{page_count:,} pages (at most {budgets.pdf_pages:,})",
            )
        content_bytes = sum(_content_bytes(page) for page in reader.pages)
        if content_bytes > budgets.pdf_content_bytes:
            raise over_budget(
                "pdf_content_bytes",
                budgets.pdf_content_bytes,
                content_bytes,
                f"its pages hold {content_bytes:,} bytes of drawing instructions "
                f"(at most {budgets.pdf_content_bytes:,})",
            )
        check_expansion("the pages' drawing instructions", content_bytes, len(data), budgets)
        text = TextBudget(budgets)
        pages = [text.take(page.extract_text() or "") for page in reader.pages]
    except (DomainError, MemoryError):
        raise
    except Exception as exc:  # pypdf raises assorted error types on broken files
        raise unreadable("the PDF is damaged") from exc
    return ExtractedDocument(
        [TextBlock(text, number) for number, text in enumerate(pages, start=1)], page_count
    )


def _content_bytes(page) -> int:
    """Decoded bytes the text extractor interprets for one page: its content streams and the form
    XObjects it draws, each counted again on every page that uses it (as the extractor reads it again)."""
    from pypdf.generic import ArrayObject

    contents = page.get("/Contents")
    total = 0
    if contents is not None:
        contents = contents.get_object()
        streams = contents if isinstance(contents, ArrayObject) else [contents]
        total += sum(len(stream.get_object().get_data()) for stream in streams)
    return total + _form_bytes(page.get("/Resources"), set())


def _form_bytes(resources, seen: set[int]) -> int:
    if resources is None:
        return 0
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return 0
    total = 0
    for reference in xobjects.get_object().values():
        xobject = reference.get_object()
        if id(xobject) in seen or xobject.get("/Subtype") != "/Form":
            continue
        seen.add(id(xobject))
        total += len(xobject.get_data()) + _form_bytes(xobject.get("/Resources"), seen)
    return total
