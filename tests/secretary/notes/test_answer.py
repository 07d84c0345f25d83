"""Reading the model's answer: the schema strictly, unknown sections refused, and reasons that never
repeat the answer's content."""

import json

import pytest

from meetings.secretary.notes.answer import MalformedAnswer, parse_answer
from meetings.secretary.notes.prompt import answer_schema

KEYS = ["summary", "decisions"]


def answer(*sections) -> str:
    return json.dumps({"sections": [{"key": key, "statements": statements} for key, statements in sections]})


def test_sections_left_out_are_empty_and_repeated_ones_merge():
    parsed = parse_answer(
        answer(
            ("decisions", [{"text": "Go.", "evidence": [1]}]),
            ("decisions", [{"text": "Stop.", "evidence": []}]),
        ),
        KEYS,
    )
    assert parsed["summary"] == [] and [s.text for s in parsed["decisions"]] == ["Go.", "Stop."]


@pytest.mark.parametrize(
    "content",
    [
        None,
        "",
        "not json",
        "[]",
        json.dumps({"sections": [{"key": "summary"}]}),
        answer(("summary", [{"text": "Secret diagnosis", "evidence": ["7"]}])),  # strict: no string ids
        answer(("summary", [{"text": "", "evidence": []}])),
        answer(("summary", [{"text": "x", "evidence": [], "extra": True}])),
        answer(("history", [])),
        answer(("summary", [{"text": "x", "evidence": list(range(1, 60))}])),
    ],
)
def test_malformed_answers_are_refused_with_a_reason_that_quotes_nothing(content):
    with pytest.raises(MalformedAnswer) as refused:
        parse_answer(content, KEYS)
    assert "Secret" not in refused.value.reason


def test_the_schema_names_the_template_keys_and_forbids_extra_fields():
    schema = answer_schema(KEYS)
    section = schema["properties"]["sections"]["items"]
    assert section["properties"]["key"]["enum"] == KEYS
    assert schema["additionalProperties"] is False and section["additionalProperties"] is False
    statement = section["properties"]["statements"]["items"]
    assert statement["required"] == ["text", "evidence"] and statement["additionalProperties"] is False
