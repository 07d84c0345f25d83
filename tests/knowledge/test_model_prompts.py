"""A model trained with instructions (E5's "query: " and "passage: "), end to end: ingestion embeds each
chunk with the passage prompt and keeps it within the model's window, a search embeds the question
with the query prompt. MiniLM stands in: prompted_embedder, its vectors differ from the unprompted ones."""

import numpy as np
import pytest

from meetings.manager.knowledge.chunking import TextBlock, chunk_blocks, count_tokens
from meetings.manager.knowledge.ingest import DocumentLocation, content_etag, ingest_document
from meetings.manager.knowledge.retrieval import search_knowledge_text
from tests.factories import make_entity
from tests.knowledge.conftest import chunk_rows

GUIDE = (
    "# Guia do paciente\n\n## Estacionamento\n\nO prédio tem 30 vagas e as duas primeiras horas são "
    "gratuitas.\n\n## Coleta de sangue\n\nA coleta começa às 7h, com jejum de oito horas.\n"
).encode()
QUESTION = "que horas começa a coleta?"


def test_chunks_are_embedded_with_the_passage_prompt_and_questions_with_the_query_prompt(
    db, embedder, prompted_embedder
):
    entity = make_entity(db)
    ingest_document(
        db=db,
        location=DocumentLocation(entity.id, None, "guia.md"),
        content=GUIDE,
        content_type="text/markdown",
        source_etag=content_etag(GUIDE),
        embedder=prompted_embedder,
    )
    chunks = chunk_rows(db, entity.id, "guia.md")
    for chunk in chunks:
        stored = np.asarray(chunk.embedding, dtype=np.float32)
        embedded_text = f"{chunk.heading}\n{chunk.chunk_text}"
        assert float(stored @ embedder.embed([f"passage: {embedded_text}"])[0]) == pytest.approx(
            1.0, abs=1e-4
        )

    (found,) = search_knowledge_text(
        db=db,
        entity_id=entity.id,
        department_id=None,
        query=QUESTION,
        k=1,
        embedder=prompted_embedder,
        mode="vector",
    )
    stored = next(np.asarray(c.embedding, dtype=np.float32) for c in chunks if c.id == found.id)
    asked = embedder.embed([f"query: {QUESTION}"])[0]
    assert found.score == pytest.approx(float(stored @ asked), abs=1e-4)
    assert found.score != pytest.approx(float(stored @ embedder.embed([QUESTION])[0]), abs=1e-3)


def test_a_chunk_and_its_passage_prompt_fit_the_models_window(prompted_embedder):
    text = " ".join(f"Frase número {i} sobre o preparo para exames de sangue." for i in range(400))
    chunks = chunk_blocks(
        [TextBlock(text, 1)],
        tokenizer=prompted_embedder.tokenizer,
        max_seq_length=prompted_embedder.max_seq_length,
    )
    assert len(chunks) > 1
    window = int(prompted_embedder.model.max_seq_length)
    longest = max(
        count_tokens(f"passage: {chunk.embedded_text}", prompted_embedder.tokenizer) for chunk in chunks
    )
    assert window - 8 < longest <= window
