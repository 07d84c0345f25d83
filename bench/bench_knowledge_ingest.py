"""Knowledge ingestion throughput: chunks/s end to end (extract, chunk, embed in batches, replace the
document's chunks with COPY, commit) against the model's bare `encode` on the same chunk texts.
The gap is the overhead of everything that is not the model. The model is the configured one
(the packaged all-MiniLM-L6-v2 by default)."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
from support import bench_database, bench_session, median, report  # noqa: E402

SECTIONS = 60
SENTENCES_PER_SECTION = 14
ROUNDS = 3
WORDS = (
    "patient appointment consultation clinic doctor nurse exam result insurance payment schedule reception "
    "protocol fasting medication dose allergy vaccine referral specialist cardiology pediatrics laboratory "
    "report follow-up emergency telephone parking document signature consent privacy record hour week"
).split()


def synthetic_markdown(seed: int) -> bytes:
    """A long FAQ-like Markdown document: headed sections of plausible sentences."""
    rng = np.random.default_rng(seed)
    parts = []
    for section in range(SECTIONS):
        parts.append(f"## Section {section}: {' '.join(rng.choice(WORDS, 3))}")
        for _ in range(SENTENCES_PER_SECTION):
            words = " ".join(rng.choice(WORDS, int(rng.integers(8, 22))))
            parts.append(f"{words.capitalize()} within {int(rng.integers(1, 90))} days.")
        parts.append("")
    return "\n".join(parts).encode()


def main() -> None:
    with bench_database():
        from sqlalchemy import select

        from meetings.embeddings import get_embedder
        from meetings.manager.entities.models import Entity
        from meetings.manager.knowledge.ingest import DocumentLocation, content_etag, ingest_document
        from meetings.manager.knowledge.models import KnowledgeChunk

        embedder = get_embedder()
        embedder.embed(["warm up the model"] * 8)
        with bench_session() as db:
            entity = Entity(name="Bench clinic", type="clinic")
            db.add(entity)
            db.commit()
            location = DocumentLocation(entity.id, None, "faq.md")

            # Rounds alternate the two measurements, so a busy machine slows both alike.
            end_to_end, bare, chunk_count, characters = [], [], 0, 0
            for round_number in range(ROUNDS):
                content = synthetic_markdown(round_number)
                started = time.perf_counter()
                outcome = ingest_document(
                    db=db,
                    location=location,
                    content=content,
                    content_type="text/markdown",
                    source_etag=content_etag(content),
                    embedder=embedder,
                )
                db.commit()
                elapsed = time.perf_counter() - started
                assert outcome.status == "ingested", outcome
                chunk_count = outcome.chunk_count
                end_to_end.append(outcome.chunk_count / elapsed)
                texts = list(
                    db.execute(
                        select(KnowledgeChunk.chunk_text)
                        .where(KnowledgeChunk.entity_id == entity.id)
                        .order_by(KnowledgeChunk.id)
                    ).scalars()
                )
                characters = sum(map(len, texts)) // len(texts)
                db.rollback()
                started = time.perf_counter()
                embedder.model.encode(
                    texts,
                    batch_size=32,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                bare.append(len(texts) / (time.perf_counter() - started))

        print(
            f"{embedder.model_name}: {chunk_count} chunks per document "
            f"({characters} characters each on average), {ROUNDS} rounds",
            flush=True,
        )
        report(
            "knowledge ingest end to end (median)",
            median(end_to_end),
            "chunks/s",
            floor=median(bare),
            floor_name="bare model.encode",
        )
        print(
            f"overhead outside the model: {(1 - median(end_to_end) / median(bare)) * 100:.1f}% of the time",
            flush=True,
        )


if __name__ == "__main__":
    main()
