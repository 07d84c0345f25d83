"""The retrieval evaluation's question sets: a typo in an answer or a document name would count as a
miss of the ranking, so each question is checked against the documents it names."""

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "bench" / "data" / "retrieval"
QUESTION_FILES = (
    "questions.json",
    "questions_fresh.json",
    "questions_fresh2.json",
    "questions_fresh3.json",
    "questions_fresh4.json",
)
DEPARTMENTS = ("cardiologia", "pediatria", "dermatologia")


def questions() -> list:
    return [
        pytest.param(question, id=f"{name}:{number}")
        for name in QUESTION_FILES
        for number, question in enumerate(json.loads((DATA / name).read_text()))
    ]


def visible_documents(department: str | None) -> set[str]:
    """The clinic's documents a question asked in `department` may be answered by (the override by name)."""
    own = {f"{department}/{path.name}" for path in (DATA / department).glob("*.md")} if department else set()
    overridden = {name.split("/")[1] for name in own}
    return own | {
        f"entity/{path.name}" for path in (DATA / "entity").glob("*.md") if path.name not in overridden
    }


@pytest.mark.parametrize("question", questions())
def test_each_answer_occurs_once_in_a_document_its_scope_sees(question):
    assert set(question) >= {"q", "dept", "doc"}
    assert question["dept"] in (None, *DEPARTMENTS)
    if question["doc"] is None:  # an isolation probe: nothing in scope answers it
        assert question.get("answer") is None
        return
    assert question["doc"] in visible_documents(question["dept"])
    document = (DATA / question["doc"]).read_text()
    assert document.count(question["answer"]) == 1, question["answer"]
