"""Knowledge-base fixtures: the real packaged MiniLM model (loaded once) and chunk builders.

Nothing from `meetings` is imported at module level: pytest imports this file before the root
conftest points DATABASE_URL at the test database, and the settings are read once.
"""

import numpy as np
import pytest


@pytest.fixture(params=["exact", "hnsw"])
def plan(request, monkeypatch):
    """Runs a test under each plan: the HNSW plan is chosen for every tenant when the threshold is 0."""
    from meetings.manager.knowledge import retrieval

    if request.param == "hnsw":
        monkeypatch.setattr(retrieval, "EXACT_SCAN_MAX_CHUNKS", 0)
    return request.param


@pytest.fixture(scope="session")
def embedder():
    from meetings.embeddings import get_embedder

    return get_embedder()


def unit_vector(seed: int, dimension: int | None = None) -> np.ndarray:
    from meetings.settings import get_settings

    vector = np.random.default_rng(seed).standard_normal(dimension or get_settings().embedding_dim)
    return vector / np.linalg.norm(vector)


def near(vector: np.ndarray, seed: int, noise: float) -> np.ndarray:
    """A unit vector at a controlled distance from `vector` (more noise, farther)."""
    mixed = vector + noise * unit_vector(seed, len(vector))
    return mixed / np.linalg.norm(mixed)


def add_document(
    db,
    *,
    entity,
    document_name: str,
    vectors,
    department=None,
    texts=None,
    heading="",
    search_config="simple",
):
    """Stores a READY document with one chunk per vector (chunk i is on page i + 1)."""
    from meetings.manager.knowledge.models import DocumentStatus, KnowledgeChunk, KnowledgeDocument

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
                heading=heading,
                search_config=search_config,
                embedding=np.asarray(vector, dtype=np.float32),
                chunk_metadata={"page": index + 1, "chunk_index": index, "total_chunks": len(vectors)},
            )
        )
    db.flush()
    return document


@pytest.fixture
def kb_bucket():
    """The knowledge-base bucket (versioned, as deployed) on moto's in-process S3; yields the client."""
    from moto import mock_aws

    from meetings.settings import get_settings
    from meetings.storage import s3_client

    with mock_aws():
        s3_client.cache_clear()
        client = s3_client()
        bucket = get_settings().kb_bucket
        client.create_bucket(Bucket=bucket)
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        yield client
    s3_client.cache_clear()


@pytest.fixture
def knowledge_api(api):
    """A client for the document routes and the search route, on the test's session."""
    from meetings.api.app import create_app
    from meetings.manager.knowledge.routes import router as documents_router
    from meetings.manager.knowledge.search_routes import router as search_router

    return api(create_app("knowledge test", [documents_router, search_router]))


def chunk_rows(db, entity_id: int, document_name: str) -> list:
    from sqlalchemy import select

    from meetings.manager.knowledge.models import KnowledgeChunk

    return list(
        db.execute(
            select(KnowledgeChunk)
            .where(KnowledgeChunk.entity_id == entity_id, KnowledgeChunk.document_name == document_name)
            .order_by(KnowledgeChunk.id)
        ).scalars()
    )


@pytest.fixture(autouse=True)
def fresh_candidate_counts():
    """Each test counts its own tenants' chunks (the search caches the counts for a few seconds)."""
    from meetings.manager.knowledge import retrieval

    retrieval._candidate_counts.clear()
    yield
    retrieval._candidate_counts.clear()
