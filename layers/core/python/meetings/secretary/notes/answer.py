"""Reading the model's answer: JSON of the answer schema, or a MalformedAnswer that says what was wrong
without repeating the content (it may quote the visit)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_STATEMENTS_PER_SECTION = 100
MAX_EVIDENCE_PER_STATEMENT = 50


class MalformedAnswer(ValueError):
    """The answer is not JSON of the schema; `reason` names the places, never the values."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AnswerStatement(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: Annotated[str, Field(min_length=1, max_length=2000)]
    evidence: Annotated[
        list[Annotated[int, Field(ge=1, le=2**63 - 1)]], Field(max_length=MAX_EVIDENCE_PER_STATEMENT)
    ]


class AnswerSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    statements: Annotated[list[AnswerStatement], Field(max_length=MAX_STATEMENTS_PER_SECTION)]


class DraftAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sections: list[AnswerSection]


def parse_answer(content: str | None, section_keys: list[str]) -> dict[str, list[AnswerStatement]]:
    """The statements of each template section (missing sections are empty)."""
    try:
        answer = DraftAnswer.model_validate_json(content or "", strict=True)
    except ValidationError as exc:
        places = sorted({".".join(str(part) for part in error["loc"]) or "answer" for error in exc.errors()})
        kinds = sorted({error["type"] for error in exc.errors()})
        raise MalformedAnswer(f"{', '.join(kinds)} at {', '.join(places[:5])}") from None
    statements: dict[str, list[AnswerStatement]] = {key: [] for key in section_keys}
    for section in answer.sections:
        if section.key not in statements:
            raise MalformedAnswer("unknown section key")
        statements[section.key].extend(section.statements)
    return statements
