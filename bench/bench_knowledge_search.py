"""Knowledge search at 100,000 chunks over 50 entities: search_knowledge (the API's and the agent's
function) against the raw pgvector query, p50/p99 latency and recall@10 against exact search.

Vectors are random unit vectors of the configured dimension, clustered by document (chunks of a
document lie near each other, as real embeddings do); each query is a perturbed chunk of its tenant.
The ground truth is computed in numpy over the same candidate set. One tenant is large (40% of the
chunks, above the exact-scan threshold) and 49 are small, so both plans are measured where they are
chosen, and each against the other. Each entity has 2 departments whose documents override some
entity-wide documents by name. `BENCH_KB_CHUNKS` scales the corpus down.
"""

import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
from support import bench_database, percentile, report  # noqa: E402

TOTAL_CHUNKS = int(os.environ.get("BENCH_KB_CHUNKS", "100000"))
ENTITIES = 50
LARGE_TENANT_SHARE = 0.4
DEPARTMENTS_PER_ENTITY = 2
CHUNKS_PER_DOCUMENT = 50
QUERIES = 60
K = 10
rng = np.random.default_rng(7)

RAW_ENTITY_SQL = "SELECT id FROM knowledge_base WHERE entity_id = %s ORDER BY embedding <=> %s LIMIT %s"
RAW_DEPARTMENT_SQL = (
    "SELECT id FROM knowledge_base WHERE entity_id = %s AND (department_id = %s OR department_id IS NULL) "
    "ORDER BY embedding <=> %s LIMIT %s"
)


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def plan_summary(plan_rows) -> str:
    """The scan nodes of an EXPLAIN, without the query vector."""
    pattern = r"(Index Scan using \w+|Index Only Scan using \w+|Bitmap Index Scan on \w+|Seq Scan on \w+|CTE Scan|Sort(?! Key))"
    return " / ".join(m.group(1) for (line,) in plan_rows if (m := re.search(pattern, line)))


def document_layout(
    entity_ids: list[int], departments: dict[int, list[int]]
) -> list[tuple[int, int | None, str]]:
    """(entity, department, name) per document: 60% entity-wide, the rest per department, a quarter of
    those reusing an entity-wide name (an override)."""
    large = int(TOTAL_CHUNKS * LARGE_TENANT_SHARE) // CHUNKS_PER_DOCUMENT
    small = (TOTAL_CHUNKS // CHUNKS_PER_DOCUMENT - large) // (len(entity_ids) - 1)
    documents = []
    for position, entity_id in enumerate(entity_ids):
        count = large if position == 0 else small
        for number in range(count):
            if number < count * 0.6:
                documents.append((entity_id, None, f"doc-{number}.pdf"))
            else:
                department_id = departments[entity_id][number % DEPARTMENTS_PER_ENTITY]
                name = f"doc-{number // 4}.pdf" if number % 4 == 0 else f"doc-{number}.pdf"
                documents.append((entity_id, department_id, name))
    return documents


def load_corpus(connection, dimension: int):
    from psycopg.types.json import Jsonb

    entity_ids = [
        connection.execute(
            "INSERT INTO entities (name, type) VALUES (%s, 'clinic') RETURNING id", (f"Bench {i}",)
        ).fetchone()[0]
        for i in range(ENTITIES)
    ]
    departments = {
        entity_id: [
            connection.execute(
                "INSERT INTO departments (entity_id, name) VALUES (%s, %s) RETURNING id", (entity_id, f"D{j}")
            ).fetchone()[0]
            for j in range(DEPARTMENTS_PER_ENTITY)
        ]
        for entity_id in entity_ids
    }
    documents = document_layout(entity_ids, departments)
    centroids = unit(rng.standard_normal((len(documents), dimension)))
    noise = rng.standard_normal((len(documents) * CHUNKS_PER_DOCUMENT, dimension)).astype(np.float32)
    # a chunk sits at cosine ~0.8 from its document's centroid
    vectors = unit(np.repeat(centroids, CHUNKS_PER_DOCUMENT, axis=0) + 0.75 * noise / np.sqrt(dimension))
    print(
        f"N = {len(vectors)} chunks, {ENTITIES} entities (one of "
        f"{sum(1 for d in documents if d[0] == entity_ids[0]) * CHUNKS_PER_DOCUMENT} chunks, 49 of "
        f"{sum(1 for d in documents if d[0] == entity_ids[1]) * CHUNKS_PER_DOCUMENT}), dimension {dimension}",
        flush=True,
    )

    started = time.perf_counter()
    connection.execute("DROP INDEX idx_kb_embedding")  # built once after the load, not row by row
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY knowledge_documents (entity_id, department_id, document_name, status, chunk_count) "
            "FROM STDIN"
        ) as copy:
            for entity_id, department_id, name in documents:
                copy.write_row((entity_id, department_id, name, "READY", CHUNKS_PER_DOCUMENT))
        with cursor.copy(
            "COPY knowledge_base (entity_id, department_id, document_name, chunk_text, embedding, metadata) "
            "FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int4", "int4", "text", "text", "vector", "jsonb"])
            for number, (entity_id, department_id, name) in enumerate(documents):
                for index in range(CHUNKS_PER_DOCUMENT):
                    copy.write_row(
                        (
                            entity_id,
                            department_id,
                            name,
                            f"{name} chunk {index}",
                            vectors[number * CHUNKS_PER_DOCUMENT + index],
                            Jsonb({"page": 1, "chunk_index": index, "total_chunks": CHUNKS_PER_DOCUMENT}),
                        )
                    )
    copied = time.perf_counter()
    connection.execute("SET maintenance_work_mem = '1GB'")
    connection.execute("SET max_parallel_maintenance_workers = 1")
    connection.execute(
        "CREATE INDEX idx_kb_embedding ON knowledge_base USING hnsw (embedding vector_cosine_ops)"
    )
    connection.execute("ANALYZE")
    print(f"COPY {copied - started:.1f} s, HNSW index build {time.perf_counter() - copied:.1f} s", flush=True)
    return entity_ids, departments


class Truth:
    """Exact nearest neighbours in numpy over the same candidate rows the database ranks."""

    def __init__(self, connection):
        rows = connection.execute(
            "SELECT id, entity_id, COALESCE(department_id, -1), document_name, embedding FROM knowledge_base ORDER BY id"
        ).fetchall()
        self.ids = np.array([row[0] for row in rows])
        self.entity = np.array([row[1] for row in rows])
        self.department = np.array([row[2] for row in rows])
        self.name = np.array([row[3] for row in rows])
        self.matrix = np.stack([row[4].to_numpy() for row in rows])

    def candidates(self, entity_id: int, department_id: int | None, *, override: bool = True) -> np.ndarray:
        mine = self.entity == entity_id
        if department_id is None:
            return mine & (self.department == -1)
        own = mine & (self.department == department_id)
        overridden = np.isin(self.name, np.unique(self.name[own])) if override else np.zeros_like(own)
        return own | (mine & (self.department == -1) & ~overridden)

    def nearest(self, mask: np.ndarray, query: np.ndarray) -> set[int]:
        scores = self.matrix[mask] @ query
        return set(self.ids[mask][np.argsort(-scores)[:K]].tolist())


def main() -> None:
    with bench_database() as url:
        import psycopg
        from pgvector.psycopg import register_vector
        from sqlalchemy import text

        from meetings.db import session_factory
        from meetings.manager.knowledge import retrieval
        from meetings.manager.knowledge.retrieval import search_knowledge
        from meetings.settings import get_settings

        dimension = get_settings().embedding_dim
        connection = psycopg.connect(url, autocommit=True)
        register_vector(connection)
        entity_ids, departments = load_corpus(connection, dimension)
        truth = Truth(connection)

        def queries_for(tenants: list[int]) -> list[tuple[int, int, np.ndarray]]:
            chosen = []
            for _ in range(QUERIES):
                entity_id = int(rng.choice(tenants))
                rows = np.flatnonzero(truth.entity == entity_id)
                query = unit(
                    (
                        truth.matrix[rng.choice(rows)]
                        + 0.6 * rng.standard_normal(dimension) / np.sqrt(dimension)
                    )[None]
                )[0]
                chosen.append((entity_id, int(rng.choice(departments[entity_id])), query))
            return chosen

        def run_raw(queries, department: bool):
            times, hits = [], 0
            for entity_id, department_id, query in queries:
                begin = time.perf_counter()
                if department:
                    found = connection.execute(
                        RAW_DEPARTMENT_SQL, (entity_id, department_id, query, K)
                    ).fetchall()
                else:
                    found = connection.execute(RAW_ENTITY_SQL, (entity_id, query, K)).fetchall()
                times.append(time.perf_counter() - begin)
                # the raw queries know no override: a department sees its rows and every entity-wide row
                if department:
                    mask = truth.candidates(entity_id, department_id, override=False)
                else:
                    mask = truth.entity == entity_id
                hits += len({row[0] for row in found} & truth.nearest(mask, query))
            return times, hits / (K * len(queries))

        def run_search(queries, department: bool):
            times, hits = [], 0
            with session_factory()() as db:
                for entity_id, department_id, query in queries:
                    scope = department_id if department else None
                    begin = time.perf_counter()
                    found = search_knowledge(
                        db=db, entity_id=entity_id, department_id=scope, query_embedding=query, k=K
                    )
                    times.append(time.perf_counter() - begin)
                    hits += len(
                        {chunk.id for chunk in found}
                        & truth.nearest(truth.candidates(entity_id, scope), query)
                    )
                    db.rollback()
            return times, hits / (K * len(queries))

        def raw_plan(queries, department: bool) -> str:
            entity_id, department_id, query = queries[0]
            if department:
                rows = connection.execute(
                    "EXPLAIN " + RAW_DEPARTMENT_SQL, (entity_id, department_id, query, K)
                )
            else:
                rows = connection.execute("EXPLAIN " + RAW_ENTITY_SQL, (entity_id, query, K))
            return plan_summary(rows.fetchall())

        def search_plan(queries, department: bool) -> str:
            entity_id, department_id, query = queries[0]
            params = {
                "entity_id": entity_id,
                "department_id": department_id if department else None,
                "query": retrieval.vector_literal(query),
                "k": K,
            }
            with session_factory()() as db:
                hnsw = (
                    db.execute(retrieval.CANDIDATE_COUNT_SQL, params).scalar_one()
                    > retrieval.EXACT_SCAN_MAX_CHUNKS
                )
                if hnsw:
                    db.execute(text("SET LOCAL enable_sort = off; SET LOCAL enable_seqscan = off"))
                sql = retrieval.HNSW_SQL if hnsw else retrieval.EXACT_SQL
                return plan_summary(db.execute(text("EXPLAIN " + sql.text), params).fetchall())

        def figures(label: str, measured, floor, floor_name: str) -> None:
            (times, recall), (floor_times, floor_recall) = measured, floor
            for name, fraction in (("p50", 0.5), ("p99", 0.99)):
                report(
                    f"{label} {name}",
                    percentile(times, fraction) * 1000,
                    "ms",
                    floor=percentile(floor_times, fraction) * 1000,
                    floor_name=floor_name,
                )
            print(
                f"{label} recall@{K}: {recall:.3f} | {floor_name} recall@{K}: {floor_recall:.3f}", flush=True
            )

        small = queries_for(entity_ids[1:])
        large = queries_for(entity_ids[:1])
        threshold = retrieval.EXACT_SCAN_MAX_CHUNKS
        for tenants, queries in (("small tenants", small), ("large tenant", large)):
            for scope in ("entity", "department"):
                department = scope == "department"
                raw = run_raw(queries, department)
                print(
                    f"-- {tenants}, {scope} filter | search_knowledge plan: {search_plan(queries, department)}"
                    f" | raw plan: {raw_plan(queries, department)}",
                    flush=True,
                )
                figures(
                    f"search_knowledge {tenants} {scope} filter",
                    run_search(queries, department),
                    raw,
                    "raw pgvector",
                )
                retrieval.EXACT_SCAN_MAX_CHUNKS = 0 if tenants == "small tenants" else 10**9
                other = "HNSW" if tenants == "small tenants" else "exact"
                figures(
                    f"  the other plan ({other}) on {tenants} {scope} filter",
                    run_search(queries, department),
                    raw,
                    "raw pgvector",
                )
                retrieval.EXACT_SCAN_MAX_CHUNKS = threshold
        connection.close()


if __name__ == "__main__":
    main()
