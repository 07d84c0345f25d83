"""The embedder: the packaged MiniLM, with and without the instructions an E5-style model expects."""

import numpy as np
import pytest

from meetings.embeddings import Embedder, get_embedder
from meetings.settings import get_settings

QUESTION = "when does the blood collection start?"
PASSAGE = "Blood collection starts at 7 am, fasting for eight hours."


@pytest.fixture(scope="module")
def plain():
    return Embedder("all-MiniLM-L6-v2", 384)


def test_a_question_and_a_chunk_are_embedded_with_their_own_prompt(plain, prompted_embedder):
    assert np.allclose(
        prompted_embedder.embed_query(QUESTION), plain.embed([f"query: {QUESTION}"])[0], atol=1e-5
    )
    assert np.allclose(
        prompted_embedder.embed([PASSAGE])[0], plain.embed([f"passage: {PASSAGE}"])[0], atol=1e-5
    )
    assert not np.allclose(prompted_embedder.embed_query(QUESTION), plain.embed_query(QUESTION), atol=1e-3)


def test_without_prompts_a_question_is_embedded_as_written(plain):
    assert np.allclose(plain.embed_query(QUESTION), plain.embed([QUESTION])[0], atol=1e-6)


def test_the_chunk_budget_leaves_room_for_the_passage_prompt(plain, prompted_embedder):
    prompt_tokens = len(plain.tokenizer("passage: ", add_special_tokens=False)["input_ids"])
    assert prompt_tokens > 0
    assert prompted_embedder.max_seq_length == plain.max_seq_length - prompt_tokens


def test_the_process_embedder_takes_its_prompts_from_the_settings(monkeypatch):
    monkeypatch.setenv("EMBEDDING_QUERY_PROMPT", "query: ")
    monkeypatch.setenv("EMBEDDING_PASSAGE_PROMPT", "passage: ")
    get_settings.cache_clear()
    get_embedder.cache_clear()
    try:
        embedder = get_embedder()
        assert (embedder.query_prompt, embedder.passage_prompt) == ("query: ", "passage: ")
    finally:
        monkeypatch.delenv("EMBEDDING_QUERY_PROMPT")
        monkeypatch.delenv("EMBEDDING_PASSAGE_PROMPT")
        get_settings.cache_clear()
        get_embedder.cache_clear()
