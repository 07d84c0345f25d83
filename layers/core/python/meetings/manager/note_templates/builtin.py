"""The built-in templates: SOAP for clinics, minutes for agencies, a class summary for schools. An
entity uses the one its type suggests until it stores a default of its own."""

from dataclasses import dataclass

from meetings.manager.note_templates.models import NoteKind


@dataclass(frozen=True)
class TemplateSpec:
    """A template as the drafting job uses it, stored or built in."""

    ref: str  # "builtin:<key>" or "template:<id>"
    version: int
    name: str
    kind: NoteKind
    sections: tuple[dict, ...]  # {"key", "title", "instructions"}


def _section(key: str, title: str, instructions: str) -> dict:
    return {"key": key, "title": title, "instructions": instructions}


SOAP = TemplateSpec(
    ref="builtin:soap",
    version=1,
    name="SOAP note",
    kind=NoteKind.PROGRESS_NOTE,
    sections=(
        _section(
            "subjective",
            "Subjective",
            "What the patient reports: complaints, symptoms with onset and course, history, medications "
            "and allergies as stated, in the patient's own terms where it matters.",
        ),
        _section(
            "objective",
            "Objective",
            "What was observed or measured during the visit: vital signs, examination findings and results "
            "read out. Only what was said in the visit; nothing inferred.",
        ),
        _section(
            "assessment",
            "Assessment",
            "The professional's assessment as they stated it: working diagnosis, differential, severity. "
            "Never add a diagnosis the professional did not state.",
        ),
        _section(
            "plan",
            "Plan",
            "What was agreed: tests, prescriptions with dose and duration as stated, referrals, advice, "
            "follow-up and when.",
        ),
    ),
)

MINUTES = TemplateSpec(
    ref="builtin:minutes",
    version=1,
    name="Meeting minutes",
    kind=NoteKind.MINUTES,
    sections=(
        _section(
            "summary", "Summary", "What the meeting was about and its main points, in a few statements."
        ),
        _section("decisions", "Decisions", "Each decision taken, as agreed; one statement per decision."),
        _section(
            "action_items",
            "Action items",
            "Each task agreed, written as 'Owner: task (due date if one was stated)'. The owner is the person "
            "named in the meeting; write 'Unassigned' when nobody was.",
        ),
    ),
)

CLASS_SUMMARY = TemplateSpec(
    ref="builtin:class_summary",
    version=1,
    name="Class summary",
    kind=NoteKind.CLASS_SUMMARY,
    sections=(
        _section("summary", "Summary", "What the session covered, in a few statements."),
        _section("topics", "Topics", "Each topic or concept taught, with the key point made about it."),
        _section("questions", "Questions raised", "Questions students asked and the answers given."),
        _section(
            "follow_up", "Follow-up", "Homework, readings and next steps announced, with dates if stated."
        ),
    ),
)

BUILTIN = {spec.ref: spec for spec in (SOAP, MINUTES, CLASS_SUMMARY)}

# Words in an entity's free-text type that pick the built-in template.
_CLINICAL_WORDS = ("clinic", "medic", "health", "hospital", "therap", "dental", "care", "psych")
_SCHOOL_WORDS = ("school", "educat", "universit", "college", "academ", "class", "tutor")


def builtin_for_entity_type(entity_type: str | None) -> TemplateSpec:
    """SOAP for clinical types, a class summary for educational ones, minutes for everything else."""
    kind = (entity_type or "").lower()
    if any(word in kind for word in _CLINICAL_WORDS):
        return SOAP
    if any(word in kind for word in _SCHOOL_WORDS):
        return CLASS_SUMMARY
    return MINUTES
