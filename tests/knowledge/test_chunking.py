"""Chunks fit the model (characters and word pieces), overlap by 50 tokens and carry their metadata."""

import pytest

from meetings.manager.knowledge.chunking import OVERLAP_TOKENS, chunk_blocks, count_tokens
from meetings.manager.knowledge.extract import TextBlock


@pytest.fixture(scope="module")
def tokenizer(embedder):
    return embedder.tokenizer


def sentences(count: int, start: int = 0) -> str:
    return " ".join(
        f"Sentence number {i} says that protocol step {i} needs a signed form."
        for i in range(start, start + count)
    )


def test_short_blocks_stay_whole_and_are_numbered_across_the_document(tokenizer):
    blocks = [TextBlock("First page text.", 1), TextBlock("Second page.", 2, "Billing")]

    chunks = chunk_blocks(blocks, tokenizer=tokenizer, max_seq_length=256)

    assert [c.text for c in chunks] == ["First page text.", "Second page."]
    assert [c.metadata for c in chunks] == [
        {"page": 1, "chunk_index": 0, "total_chunks": 2},
        {"page": 2, "chunk_index": 1, "total_chunks": 2, "section": "Billing"},
    ]


@pytest.mark.parametrize("max_seq_length", [128, 256, 384])
def test_every_chunk_fits_the_model_and_the_character_limit(tokenizer, max_seq_length):
    text = sentences(300) + " " + "supercalifragilisticexpialidociously-hyphenated-words " * 40

    chunks = chunk_blocks([TextBlock(text, 4)], tokenizer=tokenizer, max_seq_length=max_seq_length)

    assert len(chunks) > 3
    for chunk in chunks:
        assert len(chunk.text) <= 2000
        assert count_tokens(chunk.text, tokenizer) <= max_seq_length
        assert chunk.page == 4 and chunk.total_chunks == len(chunks)


def test_character_limit_applies_when_tokens_are_long(tokenizer):
    text = " ".join(["pneumonoultramicroscopicsilicovolcanoconiosis"] * 200)

    chunks = chunk_blocks([TextBlock(text, 1)], tokenizer=tokenizer, max_seq_length=10_000)

    assert all(len(chunk.text) <= 2000 for chunk in chunks)
    assert max(len(chunk.text) for chunk in chunks) > 1500


def test_consecutive_chunks_overlap_by_about_fifty_tokens_and_lose_nothing(tokenizer):
    text = sentences(120)

    chunks = chunk_blocks([TextBlock(text, 1)], tokenizer=tokenizer, max_seq_length=128)

    for previous, following in zip(chunks, chunks[1:], strict=False):
        tail = tokenizer(previous.text, add_special_tokens=False)["input_ids"][-OVERLAP_TOKENS:]
        head = tokenizer(following.text, add_special_tokens=False)["input_ids"][: OVERLAP_TOKENS + 20]
        shared = next(
            n
            for n in range(min(len(tail), len(head)), 0, -1)
            if any(head[i : i + n] == tail[-n:] for i in range(len(head) - n + 1))
        )
        assert shared >= OVERLAP_TOKENS - 5
    # every sentence survives in some chunk
    for i in range(120):
        assert any(f"protocol step {i} needs" in chunk.text for chunk in chunks)


def test_breaks_prefer_sentence_ends(tokenizer):
    chunks = chunk_blocks([TextBlock(sentences(60), 1)], tokenizer=tokenizer, max_seq_length=128)

    assert all(chunk.text.endswith(".") for chunk in chunks)


def test_chunks_never_straddle_pages(tokenizer):
    blocks = [TextBlock(sentences(30), 1), TextBlock(sentences(30, 100), 2)]

    chunks = chunk_blocks(blocks, tokenizer=tokenizer, max_seq_length=128)

    assert {chunk.page for chunk in chunks if "number 5 " in chunk.text} == {1}
    assert {chunk.page for chunk in chunks if "number 105 " in chunk.text} == {2}
    assert [chunk.chunk_index for chunk in chunks] == list(range(len(chunks)))


def test_breaks_fall_after_sentence_ends_or_line_ends_whatever_spaces_and_tabs_follow(tokenizer):
    paragraphs = [
        f"Section heading {p}\n"
        + ".  \t".join(f"Clause {p}-{i} asks for form {i} to be signed" for i in range(8))
        + ".\t\n"
        for p in range(40)
    ]
    text = "".join(paragraphs)

    chunks = chunk_blocks([TextBlock(text, 1)], tokenizer=tokenizer, max_seq_length=128)

    assert len(chunks) > 10
    for chunk in chunks[:-1]:
        assert chunk.text.endswith(".") or chunk.text.split("\n")[-1].startswith("Section heading ")
    for chunk in chunks:
        assert len(chunk.text) <= 2000 and count_tokens(chunk.text, tokenizer) <= 128
    for p in range(40):
        assert any(f"Clause {p}-7 asks for form 7 to be signed." in chunk.text for chunk in chunks)


def test_megabytes_without_sentence_ends_are_split_within_the_limits(tokenizer):
    text = " ".join(f"item{i}" for i in range(200_000))  # about 2 MB, no sentence end or line break

    chunks = chunk_blocks([TextBlock(text, 1)], tokenizer=tokenizer, max_seq_length=256)

    assert len(chunks) > 100
    assert chunks[0].text.startswith("item0 ") and chunks[-1].text.endswith("item199999")
    for chunk in chunks:
        assert 0 < len(chunk.text) <= 2000
        assert count_tokens(chunk.text, tokenizer) <= 256


def test_a_chunk_carries_title_and_section_into_what_is_embedded_not_into_its_text(tokenizer):
    blocks = [
        TextBlock("# Preços", 1, "Preços"),
        TextBlock("## Consultas\nA consulta custa R$ 280,00.", 1, "Consultas"),
        TextBlock("## Preços\nTabela.", 1, "Preços"),
    ]

    chunks = chunk_blocks(blocks, tokenizer=tokenizer, max_seq_length=256, title="Preços")

    # the block that is only the title line says nothing the headings do not: it is left out
    assert [c.text for c in chunks] == ["## Consultas\nA consulta custa R$ 280,00.", "## Preços\nTabela."]
    assert [c.heading for c in chunks] == ["Preços › Consultas", "Preços"]
    assert chunks[0].embedded_text == "Preços › Consultas\n## Consultas\nA consulta custa R$ 280,00."
    assert "Preços ›" not in chunks[0].text


@pytest.mark.parametrize("max_seq_length", [64, 128, 256])
def test_heading_and_text_together_fit_the_model(tokenizer, max_seq_length):
    title = "Manual de orientações para pacientes internacionais e acompanhantes " * 3
    text = sentences(80)

    chunks = chunk_blocks(
        [TextBlock(text, 1, "Seção muito longa " * 10)],
        tokenizer=tokenizer,
        max_seq_length=max_seq_length,
        title=title,
    )

    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.heading
        assert count_tokens(chunk.embedded_text, tokenizer) <= max_seq_length
        assert len(chunk.text) <= 2000


def test_a_section_that_fits_stays_whole_and_a_long_one_splits_evenly_at_line_breaks(tokenizer):
    short = "## Horários\n" + sentences(5)
    long = "\n".join(sentences(4, start=10 * i) for i in range(9))

    chunks = chunk_blocks(
        [TextBlock(short, 1, "Horários"), TextBlock(long, 1, "Regras")],
        tokenizer=tokenizer,
        max_seq_length=256,
        title="Guia",
    )

    assert chunks[0].text == short.strip()
    rest = [c for c in chunks if c.section == "Regras"]
    assert len(rest) >= 2
    sizes = [count_tokens(c.embedded_text, tokenizer) for c in rest]
    assert min(sizes) > max(sizes) / 2  # no sliver at the end
    assert all(long.split("\n")[0].startswith(c.text[:20]) or c.text[:20] in long for c in rest)
    assert all(c.text.endswith(".") for c in rest[:-1])  # cut at a line or sentence end


@pytest.mark.parametrize(
    ("name", "blocks", "expected"),
    [
        ("tabela-de-precos_2026.md", [], "Tabela de precos 2026"),
        (
            "faq.md",
            [TextBlock("# Perguntas frequentes\ntexto", 1, "Perguntas frequentes")],
            "Perguntas frequentes",
        ),
        ("faq.md", [TextBlock("## Seção\ntexto", 1, "Seção")], "Faq"),
    ],
)
def test_the_document_title_is_its_first_level_heading_or_its_readable_name(name, blocks, expected):
    from meetings.manager.knowledge.chunking import document_title

    assert document_title(name, blocks) == expected


def reference_fit(heading: str, tokenizer, max_tokens: int) -> str:
    """The longest whole-word prefix that fits, found a word at a time."""
    words = heading.split()
    while words and count_tokens(" ".join(words) + "\n", tokenizer, special=False) > max_tokens:
        words.pop()
    return " ".join(words)


@pytest.mark.parametrize(
    "heading",
    [
        "Manual de orientações para pacientes internacionais e acompanhantes " * 4,
        "Preços › Consultas e exames de rotina",
        "a " * 400,
        "Kontraindikationsbewertungsverfahren " * 12,
    ],
)
@pytest.mark.parametrize("max_tokens", [1, 5, 32])
def test_a_heading_is_cut_to_its_longest_whole_word_prefix_that_fits(tokenizer, heading, max_tokens):
    from meetings.manager.knowledge.chunking import fit_heading

    fitted = fit_heading(heading, tokenizer, max_tokens, max_chars=2000)

    assert count_tokens(fitted + "\n", tokenizer, special=False) <= max_tokens
    whole_words = reference_fit(" ".join(heading.split())[:1000], tokenizer, max_tokens)
    if whole_words:
        assert fitted == whole_words
    else:  # not even the first word fits: a part of it, cut where a word piece ends
        assert heading.split()[0].startswith(fitted)


def test_a_long_heading_costs_a_few_tokenizations_not_one_per_word(tokenizer):
    """500 one-letter words: cutting a word at a time would tokenize the heading 500 times."""
    from meetings.manager.knowledge.chunking import fit_heading

    calls = []

    def counting(text, **options):
        calls.append(len(text))
        return tokenizer(text, **options)

    fitted = fit_heading("a " * 500, counting, 32, max_chars=2000)

    assert count_tokens(fitted + "\n", tokenizer, special=False) <= 32 and len(calls) <= 5
