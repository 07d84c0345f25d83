"""The rule of docs/security.md ("What the logs keep of a failure"), read from the code: no log call in
the shipped code, the agent or the dev server writes an exception's text or traceback, since its
message can repeat what a person wrote. A failure is logged with `**failure(exc)`."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("layers/core/python/meetings", "agent_container", "functions", "devserver")
LOG_METHODS = {"debug", "info", "warning", "error", "critical", "exception"}


def python_files():
    for source in SOURCES:
        yield from sorted((ROOT / source).rglob("*.py"))


def exception_text_in_log_calls(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) of each log call that logs an exception's text: `.exception(...)`, `exc_info=`
    other than False, or `str(<name>)` / an f-string of a caught exception among its arguments."""
    caught = {
        handler.name for handler in ast.walk(tree) if isinstance(handler, ast.ExceptHandler) and handler.name
    }
    found = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            continue
        if call.func.attr not in LOG_METHODS or not isinstance(call.func.value, ast.Name):
            continue
        if call.func.value.id not in {"logger", "log", "logging"}:
            continue
        if call.func.attr == "exception":
            found.append((call.lineno, "logger.exception"))
        for keyword in call.keywords:
            if keyword.arg == "exc_info" and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            ):
                found.append((call.lineno, "exc_info"))
        arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
        for argument in arguments:
            for node in ast.walk(argument):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in {"str", "repr"}
                    and node.args
                    and isinstance(node.args[0], ast.Name)
                    and node.args[0].id in caught
                ):
                    found.append((call.lineno, f"{node.func.id}({node.args[0].id})"))
                if (
                    isinstance(node, ast.FormattedValue)
                    and isinstance(node.value, ast.Name)
                    and node.value.id in caught
                ):
                    found.append((call.lineno, f"f-string of {node.value.id}"))
    return found


@pytest.mark.parametrize("path", list(python_files()), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_log_call_writes_an_exceptions_text(path):
    offences = exception_text_in_log_calls(ast.parse(path.read_text(), filename=str(path)))
    assert not offences, f"{path.relative_to(ROOT)}: log the failure with **failure(exc): {offences}"


def test_the_check_finds_each_way_of_logging_an_exceptions_text():
    source = """
try:
    pass
except Exception as exc:
    logger.exception("a")
    logger.warning("b", exc_info=True)
    logger.error("c", extra={"error": str(exc)})
    logger.info(f"d {exc}")
    logger.error("fine", extra=failure(exc))
"""
    assert [what for _, what in exception_text_in_log_calls(ast.parse(source))] == [
        "logger.exception",
        "exc_info",
        "str(exc)",
        "f-string of exc",
    ]
