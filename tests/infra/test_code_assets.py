"""The staged code of the zip functions and the core layer: copies of the sources, with bytecode that
Lambda's read-only file system can load as it is."""

import importlib.util
import marshal
import sys

import pytest

from infra import code_assets, sources


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    return code_assets.stage_code(tmp_path_factory.mktemp("assets"))


def _bytecode_of(module_path):
    cached = importlib.util.cache_from_source(str(module_path))
    data = open(cached, "rb").read()
    flags = int.from_bytes(data[4:8], "little")
    return data, flags, marshal.loads(data[16:])


def test_every_module_of_the_core_layer_ships_compiled(staged):
    modules = list((staged.core_layer / "python").rglob("*.py"))
    assert len(modules) == len(list((sources.CORE_LAYER_DIR / "python").rglob("*.py")))
    for module in modules:
        data, flags, code = _bytecode_of(module)
        assert data[:4] == importlib.util.MAGIC_NUMBER
        assert flags == 0b01, module  # hash-based, not checked against the source: extraction changes mtimes
        deployed = "/opt/python/" + str(module.relative_to(staged.core_layer / "python"))
        assert code.co_filename == deployed  # tracebacks name the path in the function


def test_each_function_ships_its_compiled_handler_and_migrate_its_migrations(staged):
    assert set(staged.functions) == set(sources.ZIP_FUNCTIONS)
    for name, directory in staged.functions.items():
        _, _, code = _bytecode_of(directory / "handler.py")
        assert code.co_filename == "/var/task/handler.py", name
    migrations = staged.functions["migrate"] / "migrations"
    assert (migrations / "env.py").exists()
    for module in migrations.rglob("*.py"):
        _, _, code = _bytecode_of(module)
        assert code.co_filename.startswith("/var/task/migrations/")


def test_staging_again_builds_the_same_bytes(staged, tmp_path):
    again = code_assets.stage_code(tmp_path / "assets")
    for module in (staged.core_layer / "python").rglob("*.py"):
        twin = again.core_layer / module.relative_to(staged.core_layer)
        first = open(importlib.util.cache_from_source(str(module)), "rb").read()
        second = open(importlib.util.cache_from_source(str(twin)), "rb").read()
        assert first == second, module  # so the asset hash changes only with the sources


def test_a_module_that_does_not_compile_fails_the_build(tmp_path):
    (tmp_path / "broken.py").write_text("def (:\n")
    with pytest.raises(RuntimeError, match="does not compile"):
        code_assets.compile_tree(tmp_path, "/var/task")
    code_assets.compile_tree(tmp_path, "/opt/python", strict=False)  # a third-party file: left alone


def test_bytecode_is_built_only_by_the_runtimes_python(tmp_path, monkeypatch):
    (tmp_path / "module.py").write_text("VALUE = 1\n")
    monkeypatch.setattr(sys, "version_info", (3, 12, 1, "final", 0))
    with pytest.raises(RuntimeError, match="CPython 3.11"):
        code_assets.compile_tree(tmp_path, "/var/task")
