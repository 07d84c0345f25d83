"""Scripted model answers for the visit fixture of conftest.py."""


def soap_answer(segments, **overrides) -> dict:
    """A well-formed answer citing the visit's segments."""
    sections = {
        "subjective": [
            {"text": "Dry cough for two weeks, worse at night.", "evidence": [segments["cough"].id]},
            {"text": "Chest pain when coughing; no fever.", "evidence": [segments["fever"].id]},
        ],
        "objective": [],
        "assessment": [],
        "plan": [
            {
                "text": "Ibuprofen 400 mg every eight hours for five days.",
                "evidence": [segments["plan"].id],
            },
            {"text": "Return visit next week.", "evidence": [segments["plan"].id]},
        ],
    }
    sections.update(overrides)
    return {"sections": [{"key": key, "statements": statements} for key, statements in sections.items()]}
