"""Splits extracted text into chunks that the embedding model reads whole.

A chunk holds at most 2,000 characters and at most the model's `max_seq_length` word pieces
(counted with the model's own tokenizer, special tokens included), and repeats the last 50 tokens
of the previous chunk of the same block. Breaks fall on sentence or word boundaries where possible.
Chunks never straddle pages or sections, so each has one page number.
"""

from dataclasses import dataclass

from meetings.constraints import CHUNK_TEXT_MAX_LENGTH
from meetings.manager.knowledge.extract import TextBlock

OVERLAP_TOKENS = 50
SENTENCE_ENDS = (".", "!", "?", ":", ";")


@dataclass(frozen=True)
class Chunk:
    text: str
    page: int
    chunk_index: int
    total_chunks: int
    section: str | None = None

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
    max_chars: int = CHUNK_TEXT_MAX_LENGTH,
    overlap_tokens: int = OVERLAP_TOKENS,
) -> list[Chunk]:
    """Chunks every block in order and numbers the chunks across the whole document."""
    budget = max_seq_length - tokenizer.num_special_tokens_to_add(pair=False)
    if budget <= overlap_tokens:
        raise ValueError("max_seq_length leaves no room beyond the overlap")
    pieces = [
        (text, block)
        for block in blocks
        for text in split_text(
            block.text, tokenizer=tokenizer, budget=budget, max_chars=max_chars, overlap=overlap_tokens
        )
    ]
    return [
        Chunk(text=text, page=block.page, section=block.section, chunk_index=index, total_chunks=len(pieces))
        for index, (text, block) in enumerate(pieces)
    ]


def count_tokens(text: str, tokenizer) -> int:
    """Word pieces the model sees for this text, special tokens included."""
    return len(tokenizer(text, add_special_tokens=True, verbose=False)["input_ids"])


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

    def best_end(start: int, end: int) -> int:
        for test, floor in (
            (sentence_start, start + (end - start) * 2 // 3),
            (word_start, start + (end - start) // 2),
        ):
            for i in range(end, max(floor, start + 1) - 1, -1):
                if test(i):
                    return i
        return end

    chunks: list[str] = []
    start = 0
    while start < total:
        end = min(start + budget, total)
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
