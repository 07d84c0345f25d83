"""The agent's collaborators get `MeetingServices`, built when the meeting starts: none of them imports
the meeting (no back-reference, no type-level cycle)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "agent_container" / "meeting_agent"
COLLABORATORS = ["questions.py", "suggestions.py", "assistant.py", "services.py", "transcription.py"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("module", COLLABORATORS)
def test_a_collaborator_never_imports_the_meeting(module):
    imported = imported_modules(PACKAGE / module)
    assert ".meeting" not in imported and "agent_container.meeting_agent.meeting" not in imported


async def test_the_collaborators_hold_the_services_not_the_meeting(build_meeting):
    from agent_container.meeting_agent.meeting import MeetingAgent

    meeting = build_meeting()
    await meeting.start()
    for collaborator in (meeting.answerer, meeting.advisor):
        assert collaborator.services is meeting.services
        for value in vars(collaborator).values():
            assert not isinstance(value, MeetingAgent)
            assert not isinstance(getattr(value, "__self__", None), MeetingAgent)  # no bound method either
