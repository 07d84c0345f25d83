"""Knowledge-base fixtures: the real packaged MiniLM model (loaded once) and chunk builders."""

import numpy as np
import pytest

from meetings.manager.knowledge.models import DocumentStatus, KnowledgeChunk, KnowledgeDocument
from meetings.settings import get_settings


@pytest.fixture(scope="session")
def embedder():
    from meetings.embeddings import get_embedder

    return get_embedder()


def unit_vector(seed: int, dimension: int | None = None) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(dimension or get_settings().embedding_dim)
    return vector / np.linalg.norm(vector)


def near(vector: np.ndarray, seed: int, noise: float) -> np.ndarray:
    """A unit vector at a controlled distance from `vector` (more noise, farther)."""
    mixed = vector + noise * unit_vector(seed, len(vector))
    return mixed / np.linalg.norm(mixed)


def add_document(db, *, entity, document_name: str, vectors, department=None, texts=None) -> KnowledgeDocument:
    """Stores a READY document with one chunk per vector (chunk i is on page i + 1)."""
    document = KnowledgeDocument(
        entity_id=entity.id,
        department_id=department.id if department else None,
        document_name=document_name,
        status=DocumentStatus.READY,
        chunk_count=len(vectors),
        page_count=len(vectors),
    )
    db.add(document)
    for index, vector in enumerate(vectors):
        db.add(
            KnowledgeChunk(
                entity_id=entity.id,
                department_id=document.department_id,
                document_name=document_name,
                chunk_text=texts[index] if texts else f"{document_name} chunk {index}",
                embedding=np.asarray(vector, dtype=np.float32),
                chunk_metadata={"page": index + 1, "chunk_index": index, "total_chunks": len(vectors)},
            )
        )
    db.flush()
    return document
