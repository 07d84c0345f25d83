"""What reading a document produces (blocks of text) and what it may cost (budgets), with the errors
a document that cannot be read or costs too much is answered with. Shared by the extractors."""

import enum
from dataclasses import dataclass

from meetings.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed


class DocumentType(enum.StrEnum):
    PDF = "application/pdf"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    MARKDOWN = "text/markdown"
    TEXT = "text/plain"


MB = 1024 * 1024


@dataclass(frozen=True)
class Budgets:
    """What one document may cost to read (docs/knowledge-base-uploads.md says why these values)."""

    text_chars: int = 2_000_000
    heading_line_chars: int = 1_000
    pdf_pages: int = 1_000
    pdf_content_bytes: int = 32 * MB
    docx_parts: int = 1_000
    docx_uncompressed_bytes: int = 128 * MB
    docx_xml_bytes: int = 16 * MB
    expansion_ratio: int = 100
    expansion_floor_bytes: int = 1 * MB


BUDGETS = Budgets()


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
    return ValidationFailed(f"The document cannot be read: {reason}.", code="unreadable_document")


def empty() -> ValidationFailed:
    return ValidationFailed("The document contains no text.", code="empty_document")


def over_budget(limit: str, maximum: int, actual: int | None, message: str) -> PayloadTooLarge:
    """A document that would cost more to read than a budget allows (`limit` names the budget)."""
    return PayloadTooLarge(
        f"The document exceeds a reading limit: {message}.",
        code="document_too_large",
        details={"limit": limit, "max": maximum, "actual": actual},
    )


def check_expansion(what: str, expanded: int, stored: int, budgets: Budgets) -> None:
    """Refuses content that expands more than the ratio budget allows (above a small floor)."""
    ratio = expanded // max(stored, 1)
    if expanded > budgets.expansion_floor_bytes and ratio > budgets.expansion_ratio:
        raise over_budget(
            "expansion_ratio",
            budgets.expansion_ratio,
            ratio,
            f"{what} expand to {ratio:,} times their stored size (at most {budgets.expansion_ratio:,})",
        )


class TextBudget:
    """Counts extracted characters and refuses a document once they exceed the budget."""

    def __init__(self, budgets: Budgets):
        self.limit = budgets.text_chars
        self.used = 0

    def take(self, text: str) -> str:
        self.used += len(text)
        if self.used > self.limit:
            raise over_budget("text_chars", self.limit, None, f"more than {self.limit:,} characters of text")
        return text
