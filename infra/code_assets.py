"""What the zip functions and the core layer deploy: staged copies of their sources, with bytecode.

A Lambda's code and layers are read-only, so Python cannot cache what it compiles there: a module
shipped without bytecode is compiled from source at every cold start, and the result is thrown away.
The build compiles every module with the runtime's Python (`compile_tree`), so a cold start only
loads. The bytecode is hash-based and unchecked: it is trusted without comparing timestamps, which a
zip's extraction does not keep; source and bytecode come from the same build and never change apart.
Tracebacks name the deployed paths (/opt/python, /var/task), and a build of the same sources gives the
same bytes, so the asset hashes stay stable.
"""

import compileall
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from py_compile import PycInvalidationMode

from infra import sources

RUNTIME_VERSION = (3, 11)  # the python3.11 runtime of every zip function
LAYER_ROOT = "/opt/python"
TASK_ROOT = "/var/task"
_NEVER_COPIED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def compile_tree(directory: Path, deployed_at: str, *, strict: bool = True) -> None:
    """Writes the bytecode of every module under `directory`, named as it will be at `deployed_at`.

    `strict` fails on a module that does not compile (ours); a third-party package may carry files
    that are not meant to be imported, and those are left as they are.
    """
    if sys.version_info[:2] != RUNTIME_VERSION:
        wanted = ".".join(map(str, RUNTIME_VERSION))
        raise RuntimeError(
            f"the functions run CPython {wanted}: build them with it (this is {sys.version.split()[0]})"
        )
    compiled = compileall.compile_dir(
        directory,
        ddir=deployed_at,
        quiet=1,
        workers=0,
        invalidation_mode=PycInvalidationMode.UNCHECKED_HASH,
    )
    if strict and not compiled:
        raise RuntimeError(f"a module under {directory} does not compile")


def _staged(source: Path, target: Path, deployed_at: str) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=_NEVER_COPIED)
    compile_tree(target, deployed_at)
    return target


@dataclass(frozen=True)
class StagedCode:
    core_layer: Path  # holds python/meetings
    functions: dict[str, Path]  # zip function -> its code directory (handler.py; migrate: + migrations/)


def stage_code(target: Path) -> StagedCode:
    """Copies and compiles the core layer and every zip function's code under `target`."""
    core_layer = target / "core"
    _staged(sources.CORE_LAYER_DIR / "python", core_layer / "python", LAYER_ROOT)
    functions = {}
    for name in sources.ZIP_FUNCTIONS:
        directory = sources.function_dir(name)
        if not (directory / "handler.py").exists():
            directory = sources.placeholder_function(name)
        functions[name] = _staged(directory, target / "functions" / name, TASK_ROOT)
    # The migrate function runs alembic over the migrations shipped beside its handler.
    _staged(sources.MIGRATIONS_DIR, functions["migrate"] / "migrations", f"{TASK_ROOT}/migrations")
    return StagedCode(core_layer=core_layer, functions=functions)
