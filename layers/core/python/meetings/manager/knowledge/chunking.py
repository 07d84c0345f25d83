"""Splits extracted text into chunks that the embedding model reads whole.

A chunk holds at most 2,000 characters, and its heading ("document title › section") plus its text
fit the model's `max_seq_length` word pieces (counted with the model's own tokenizer, special tokens
included): the heading is what gets embedded and indexed in front of the text, so a passage that
never names its subject ("It costs 200 reais") is still found by it. A block (a section or a page)
that fits is one chunk; a longer one is cut into near-equal windows that repeat the last 50 tokens
of the previous window, with breaks on paragraph, line, sentence or word boundaries, in that order
of preference. Chunks never straddle pages or sections, so each has one page number.
"""

import math
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from meetings.constraints import CHUNK_TEXT_MAX_LENGTH
from meetings.manager.knowledge.extract import TextBlock

OVERLAP_TOKENS = 50
SENTENCE_ENDS = (".", "!", "?", ":", ";")
HEADING_SEPARATOR = " › "
# A heading never takes more of the model's window than this share.
HEADING_MAX_SHARE = 0.25


@dataclass(frozen=True)
class Chunk:
    text: str
    page: int
    chunk_index: int
    total_chunks: int
    section: str | None = None
    heading: str = ""

    @property
    def embedded_text(self) -> str:
        """What the model embeds: the heading, then the text."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text

    @property
    def metadata(self) -> dict:
        metadata = {"page": self.page, "chunk_index": self.chunk_index, "total_chunks": self.total_chunks}
        if self.section:
            metadata["section"] = self.section
        return metadata


def chunk_blocks(
    blocks: list[TextBlock],
    *,
    tokenizer,
    max_seq_length: int,
    title: str | None = None,
    max_chars: int = CHUNK_TEXT_MAX_LENGTH,
    overlap_tokens: int = OVERLAP_TOKENS,
) -> list[Chunk]:
    """Chunks every block in order, each under its heading, and numbers the chunks across the document."""
    window = max_seq_length - tokenizer.num_special_tokens_to_add(pair=False)
    if window <= overlap_tokens:
        raise ValueError("max_seq_length leaves no room beyond the overlap")
    pieces = []
    # a block that is only a heading (a title followed at once by a sub-heading) says nothing its
    # neighbours' headings do not
    worded = [block for block in blocks if not only_headings(block.text)] or blocks
    for block in worded:
        # the heading and the newline after it are read in the same window as the text, which keeps
        # room for more than the overlap
        room = min(int(window * HEADING_MAX_SHARE), window - overlap_tokens - 2)
        heading = fit_heading(block_heading(title, block.section), tokenizer, room, max_chars)
        budget = window - (count_tokens(heading + "\n", tokenizer, special=False) if heading else 0)
        for text in split_text(
            block.text, tokenizer=tokenizer, budget=budget, max_chars=max_chars, overlap=overlap_tokens
        ):
            pieces.append((text, block, heading))
    return [
        Chunk(
            text=text,
            page=block.page,
            section=block.section,
            heading=heading,
            chunk_index=index,
            total_chunks=len(pieces),
        )
        for index, (text, block, heading) in enumerate(pieces)
    ]


MARKDOWN_HEADING = re.compile(r"^ {0,3}#{1,6}\s")


def only_headings(text: str) -> bool:
    """True for a block whose every line is a Markdown heading."""
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and all(MARKDOWN_HEADING.match(line) for line in lines)


def document_title(document_name: str, blocks: list[TextBlock]) -> str:
    """The document's own first-level heading (Markdown `# Title`), else its file name made readable."""
    if blocks and blocks[0].section and blocks[0].text.lstrip().startswith("# "):
        return blocks[0].section
    stem = PurePosixPath(document_name).stem if "." in document_name else document_name
    words = re.sub(r"[-_.]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else document_name


def block_heading(title: str | None, section: str | None) -> str:
    """ "Title › Section", without repeating a section that is the title."""
    parts = [part.strip() for part in (title, section) if part and part.strip()]
    if len(parts) == 2 and parts[0].casefold() == parts[1].casefold():
        parts = parts[:1]
    return HEADING_SEPARATOR.join(parts)


def fit_heading(heading: str, tokenizer, max_tokens: int, max_chars: int) -> str:
    """The heading cut to a share of the model's window (whole words where possible).

    One tokenization finds where the budget ends (the word pieces' offsets); the heading is cut there,
    back to a word boundary. Cutting a word at a time and counting again would cost the square of the
    heading's length, which a document of long headings could turn into minutes of ingestion.
    """
    heading = " ".join(heading.split())[: max_chars // 2]
    if max_tokens <= 0:
        return ""
    if count_tokens(heading + "\n", tokenizer, special=False) <= max_tokens:
        return heading
    offsets = tokenizer(heading, add_special_tokens=False, return_offsets_mapping=True, verbose=False)[
        "offset_mapping"
    ]
    room = max_tokens - count_tokens("\n", tokenizer, special=False)
    end = offsets[room - 1][1] if 0 < room <= len(offsets) else 0
    heading = _to_word_boundary(heading, end)
    while heading and count_tokens(heading + "\n", tokenizer, special=False) > max_tokens:
        cut = heading.rfind(" ")  # rare: the prefix tokenized differently from the whole
        heading = heading[:cut] if cut > 0 else heading[: len(heading) * 3 // 4]
    return heading


def _to_word_boundary(text: str, end: int) -> str:
    """`text` cut at `end`, back to the last space before it when that falls inside a word."""
    if end >= len(text) or text[end] == " ":
        return text[:end].rstrip()
    cut = text.rfind(" ", 0, end)
    return text[:cut] if cut > 0 else text[:end]


def count_tokens(text: str, tokenizer, *, special: bool = True) -> int:
    """Word pieces the model sees for this text, special tokens included unless `special` is False."""
    return len(tokenizer(text, add_special_tokens=special, verbose=False)["input_ids"])


def split_text(text: str, *, tokenizer, budget: int, max_chars: int, overlap: int) -> list[str]:
    """Windows of at most `budget` tokens and `max_chars` characters, overlapping by `overlap` tokens."""
    limit = budget + tokenizer.num_special_tokens_to_add(pair=False)
    offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)[
        "offset_mapping"
    ]
    total = len(offsets)
    if total == 0:
        return [text.strip()] if text.strip() else []

    def word_start(i: int) -> bool:
        begin = offsets[i][0]
        return i == 0 or begin == 0 or text[begin - 1].isspace() or offsets[i - 1][1] < begin

    def sentence_start(i: int) -> bool:
        # Looks back over spaces and tabs only: copying the text before the token would make
        # splitting quadratic in the block's length.
        if not word_start(i):
            return False
        j = offsets[i][0]
        while j and text[j - 1] in " \t":
            j -= 1
        return j > 0 and (text[j - 1] == "\n" or text[j - 1] in SENTENCE_ENDS)

    def line_start(i: int) -> bool:
        if not word_start(i):
            return False
        j = offsets[i][0]
        while j and text[j - 1] in " \t":
            j -= 1
        return j > 0 and text[j - 1] == "\n"

    def best_end(start: int, end: int) -> int:
        for test, floor in (
            (line_start, start + (end - start) * 2 // 3),
            (sentence_start, start + (end - start) * 2 // 3),
            (word_start, start + (end - start) // 2),
        ):
            for i in range(end, max(floor, start + 1) - 1, -1):
                if test(i):
                    return i
        return end

    # near-equal windows, so that a block a little over the budget does not leave a sliver behind
    windows = 1 if total <= budget else math.ceil((total - overlap) / (budget - overlap))
    target = min(budget, math.ceil((total - overlap) / windows) + overlap + budget // 10)
    chunks: list[str] = []
    start = 0
    while start < total:
        end = min(start + target, total)
        while end > start + 1 and offsets[end - 1][1] - offsets[start][0] > max_chars:
            end -= 1
        if end < total:
            end = best_end(start, end)
        piece = text[offsets[start][0] : offsets[end - 1][1]].strip()[:max_chars]
        while end > start + 1 and count_tokens(piece, tokenizer) > limit:
            end -= 1  # a word cut in the middle can re-tokenize into more pieces
            piece = text[offsets[start][0] : offsets[end - 1][1]].strip()
        if piece:
            chunks.append(piece)
        if end >= total:
            break
        next_start = max(end - overlap, start + 1)
        while next_start > start + 1 and not word_start(next_start):
            next_start -= 1
        start = next_start
    return chunks
