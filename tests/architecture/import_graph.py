"""The project's import graph, read from the source (every import statement, top-level or inside a function)."""

import ast
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LAYER_ROOT = REPO_ROOT / "layers" / "core" / "python"
FIRST_PARTY = ("meetings", "devserver", "agent_container", "functions", "infra", "tests", "bench")


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (or module.name for `from module import name`)
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(source: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = source.split(".") if is_package else source.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(path: Path, root: Path) -> list[Import]:
    source = module_name(path, root)
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(Import(source, alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(source, path.name == "__init__.py", node)
            found.extend(Import(source, f"{module}.{alias.name}", node.lineno) for alias in node.names)
    return found


def shipped_modules() -> dict[str, Path]:
    """Every module of the shipped package (the `core` Lambda layer)."""
    return {module_name(path, LAYER_ROOT): path for path in sorted((LAYER_ROOT / "meetings").rglob("*.py"))}


def all_imports(root: Path, package: str) -> list[Import]:
    return [imp for path in sorted((root / package).rglob("*.py")) for imp in imports_of(path, root)]


def known_module(target: str, modules: set[str]) -> str | None:
    """The module a target names: itself, or its parent when the target is `module.name`."""
    if target in modules:
        return target
    parent = target.rpartition(".")[0]
    return parent if parent in modules else None


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for following in sorted(graph.get(node, ())):
            if state.get(following) == 1:
                return [*stack[stack.index(following) :], following]
            if following not in state and (cycle := visit(following)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None
