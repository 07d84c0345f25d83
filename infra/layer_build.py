"""Builds the `deps` Lambda layers locally (no Docker): wheels for the Lambda platform, cached under .build/.

`pip install --platform ... --only-binary=:all:` fetches manylinux wheels for CPython on x86_64, whatever
machine runs the synth: one layer for the python3.11 functions, compiled to bytecode (infra/code_assets.py
says why), and one for the SnapStart functions on python3.12 (decision 0020). That one ships without
bytecode, because the build runs CPython 3.11 and bytecode is per version; a SnapStart function's init
phase, which compiles what it imports, runs once per published version, not at each cold start. A layer
directory is rebuilt only when the requirements or the build's format change.
"""

import hashlib
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra import code_assets, sources

REPO_ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO_ROOT / "infra" / "layer_requirements.txt"
BUILD_ROOT = REPO_ROOT / ".build" / "layers"

PYTHON_VERSION = "3.11"
SNAPSTART_PYTHON_VERSION = sources.SNAPSTART_PYTHON_VERSION
PLATFORM = "manylinux2014_x86_64"
# Bumped when the build itself changes what a layer holds (2: with bytecode), so caches are rebuilt.
LAYER_FORMAT = 2
# The RDS CA bundle the services verify the database with (verify-full): in the layer under certs/,
# so at /opt/certs/ in the functions. RDS_CA_BUNDLE names a local copy for offline builds.
RDS_CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
# Lambda's limit is 250 MB unzipped for a function and all its layers together.
MAX_LAYER_BYTES = 200 * 1024 * 1024


def _fingerprint(requirements: Path, python_version: str) -> str:
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(f"{python_version}|{PLATFORM}|{LAYER_FORMAT}".encode())
    return digest.hexdigest()[:16]


def _pip_install(requirements: Path, target: Path, python_version: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--platform",
            PLATFORM,
            "--implementation",
            "cp",
            "--python-version",
            python_version,
            "--only-binary=:all:",
            "--target",
            str(target),
            "-r",
            str(requirements),
        ],
        check=True,
    )


def _prune(target: Path) -> None:
    """Drops what never runs on Lambda: pip's bytecode (compiled again below) and bundled test suites."""
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    for tests in list(target.glob("*/tests")):
        shutil.rmtree(tests, ignore_errors=True)


def directory_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def build_dependencies_layer(
    requirements: Path = REQUIREMENTS, build_root: Path = BUILD_ROOT, python_version: str = PYTHON_VERSION
) -> Path:
    """Returns a directory holding `python/<packages>` and `certs/`. The packages are built when the
    requirements changed; the CA bundle is this build's (a cached one could be a stand-in)."""
    layer_dir = build_packages(requirements, build_root, python_version)
    add_rds_ca_bundle(layer_dir / "certs")
    return layer_dir


def build_packages(
    requirements: Path = REQUIREMENTS, build_root: Path = BUILD_ROOT, python_version: str = PYTHON_VERSION
) -> Path:
    """Returns a directory holding `python/<packages>` for `python_version`, building it when the
    requirements changed; compiled when that is the version the build runs."""
    layer_dir = build_root / f"deps-{_fingerprint(requirements, python_version)}"
    if (layer_dir / ".complete").exists():
        return layer_dir
    staging = build_root / f"{layer_dir.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    _pip_install(requirements, staging / "python", python_version)
    _prune(staging / "python")
    if python_version == PYTHON_VERSION:
        code_assets.compile_tree(staging / "python", code_assets.LAYER_ROOT, strict=False)
    size = directory_size(staging)
    if size > MAX_LAYER_BYTES:
        raise RuntimeError(f"the dependencies layer is {size / 2**20:.0f} MiB unzipped, above the budget")
    (staging / ".complete").write_text(f"{size}\n")
    shutil.rmtree(layer_dir, ignore_errors=True)
    staging.rename(layer_dir)
    return layer_dir


def add_rds_ca_bundle(target: Path) -> Path:
    """Copies RDS_CA_BUNDLE or downloads the bundle; a build without it fails (the services would
    refuse to start without it anyway)."""
    target.mkdir(parents=True, exist_ok=True)
    bundle = target / "rds-global-bundle.pem"
    local = os.environ.get("RDS_CA_BUNDLE")
    if local:
        shutil.copyfile(local, bundle)
    else:
        import urllib.request

        with urllib.request.urlopen(RDS_CA_BUNDLE_URL, timeout=30) as answer:
            bundle.write_bytes(answer.read())
    if b"BEGIN CERTIFICATE" not in bundle.read_bytes():
        raise RuntimeError(f"{bundle} holds no certificate")
    return bundle


def empty_layer(build_root: Path = BUILD_ROOT) -> Path:
    """A stand-in for tests and quick synths (`-c skipLayerBuild=true`): the layer without packages."""
    layer_dir = build_root / "deps-empty"
    (layer_dir / "python").mkdir(parents=True, exist_ok=True)
    (layer_dir / "python" / "README.txt").write_text("Synthesized with skipLayerBuild: no packages.\n")
    return layer_dir


# What the python3.11 Lambda runtime itself provides next to the layers.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
# Run in a function's code directory with `python -S`: every module the import loaded from the layers or
# the function's code, whose bytecode is missing (it would be compiled at every cold start).
IMPORT_WITHOUT_BYTECODE = """
import os, sys
import handler
roots = tuple(sys.argv[1:])
print("\\n".join(sorted(
    module.__spec__.origin
    for module in list(sys.modules.values())
    if getattr(module, "__spec__", None) and module.__spec__.cached
    and module.__spec__.origin.startswith(roots) and not os.path.exists(module.__spec__.cached)
)))
"""


def _runtime_packages(target: Path) -> None:
    for name in RUNTIME_PACKAGES:
        origin = Path(importlib.util.find_spec(name).origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (target / source.name).symlink_to(source)


@contextmanager
def lambda_environment(layer_dir: Path, core_layer: Path) -> Iterator[dict[str, str]]:
    """The environment of a zip function's process: only the runtime's packages and the two layers on
    the path (run `python -S` in the function's code directory), and nowhere to write bytecode."""
    with tempfile.TemporaryDirectory() as runtime:
        _runtime_packages(Path(runtime))
        yield {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": os.pathsep.join([str(layer_dir / "python"), str(core_layer / "python"), runtime]),
            "PYTHONDONTWRITEBYTECODE": "1",  # read-only, as /opt and /var/task are
            "ENVIRONMENT": "test",
        }


def check_handlers_import(
    layer_dir: Path,
    code: code_assets.StagedCode,
    *,
    functions: tuple[str, ...] = sources.ZIP_FUNCTIONS,
    interpreter: str = sys.executable,
    require_bytecode: bool = True,
) -> list[str]:
    """Imports each function's handler the way Lambda will, with only the runtime, the two layers and
    its own code on the path; returns the failures and, when `require_bytecode`, the modules that came
    without bytecode."""
    failures = []
    with lambda_environment(layer_dir, code.core_layer) as environment:
        for name in functions:
            directory = code.functions[name]
            roots = [str(layer_dir / "python"), str(code.core_layer / "python"), str(directory)]
            result = subprocess.run(
                [interpreter, "-S", "-c", IMPORT_WITHOUT_BYTECODE, *roots],
                cwd=directory,
                env=environment,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                failures.append(f"{name}: {result.stderr.strip().splitlines()[-1]}")
            elif require_bytecode and result.stdout.strip():
                uncompiled = result.stdout.split()
                failures.append(f"{name}: {len(uncompiled)} modules without bytecode, e.g. {uncompiled[0]}")
    return failures


def snapstart_interpreter() -> str | None:
    """A CPython of the SnapStart functions' version to check their imports with: SNAPSTART_PYTHON, or
    python3.12 on the PATH (a pyenv shim that cannot run counts as none)."""
    candidate = os.environ.get("SNAPSTART_PYTHON") or shutil.which(f"python{SNAPSTART_PYTHON_VERSION}")
    if not candidate:
        return None
    probe = subprocess.run(
        [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
    )
    return candidate if probe.returncode == 0 and probe.stdout.strip() == SNAPSTART_PYTHON_VERSION else None


def main() -> int:
    layer_dir = build_dependencies_layer()
    snapstart_layer_dir = build_dependencies_layer(python_version=SNAPSTART_PYTHON_VERSION)
    for directory in (layer_dir, snapstart_layer_dir):
        print(f"dependencies layer: {directory} ({directory_size(directory) / 2**20:.0f} MiB unzipped)")
    if "--check" not in sys.argv:
        return 0
    if platform.machine() != "x86_64" or sys.version_info[:2] != (3, 11) or sys.platform != "linux":
        print("handler import check skipped: it needs Linux x86_64 and CPython 3.11, like the Lambda runtime")
        return 0
    code = code_assets.stage_code(BUILD_ROOT.parent / "assets")
    failures = check_handlers_import(layer_dir, code)
    interpreter = snapstart_interpreter()
    if interpreter is None:
        print(
            f"no CPython {SNAPSTART_PYTHON_VERSION} here (SNAPSTART_PYTHON): the SnapStart functions were "
            f"checked with {PYTHON_VERSION} only"
        )
    else:
        failures += check_handlers_import(
            snapstart_layer_dir,
            code,
            functions=sources.SNAPSTART_FUNCTIONS,
            interpreter=interpreter,
            require_bytecode=False,
        )
    for failure in failures:
        print(f"cannot import {failure}", file=sys.stderr)
    if not failures:
        print("every zip function imports with the runtime and its layers only")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
