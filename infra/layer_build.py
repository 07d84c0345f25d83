"""Builds the `deps` Lambda layer locally (no Docker): wheels for the Lambda platform, cached under .build/.

`pip install --platform ... --only-binary=:all:` fetches manylinux wheels for CPython 3.11 on x86_64,
whatever machine runs the synth. The layer directory is rebuilt only when the requirements change.
"""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO_ROOT / "infra" / "layer_requirements.txt"
BUILD_ROOT = REPO_ROOT / ".build" / "layers"

PYTHON_VERSION = "3.11"
PLATFORM = "manylinux2014_x86_64"
# Lambda's limit is 250 MB unzipped for a function and all its layers together.
MAX_LAYER_BYTES = 200 * 1024 * 1024


def _fingerprint(requirements: Path) -> str:
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(f"{PYTHON_VERSION}|{PLATFORM}".encode())
    return digest.hexdigest()[:16]


def _pip_install(requirements: Path, target: Path) -> None:
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--platform", PLATFORM, "--implementation", "cp", "--python-version", PYTHON_VERSION,
            "--only-binary=:all:", "--target", str(target), "-r", str(requirements),
        ],
        check=True,
    )


def _prune(target: Path) -> None:
    """Drops what never runs on Lambda: bytecode caches and bundled test suites."""
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    for tests in list(target.glob("*/tests")):
        shutil.rmtree(tests, ignore_errors=True)


def directory_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def build_dependencies_layer(requirements: Path = REQUIREMENTS, build_root: Path = BUILD_ROOT) -> Path:
    """Returns a directory holding `python/<packages>`, building it when the requirements changed."""
    layer_dir = build_root / f"deps-{_fingerprint(requirements)}"
    if (layer_dir / ".complete").exists():
        return layer_dir
    staging = build_root / f"{layer_dir.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    _pip_install(requirements, staging / "python")
    _prune(staging / "python")
    size = directory_size(staging)
    if size > MAX_LAYER_BYTES:
        raise RuntimeError(f"the dependencies layer is {size / 2**20:.0f} MiB unzipped, above the budget")
    (staging / ".complete").write_text(f"{size}\n")
    shutil.rmtree(layer_dir, ignore_errors=True)
    staging.rename(layer_dir)
    return layer_dir


def empty_layer(build_root: Path = BUILD_ROOT) -> Path:
    """A stand-in for tests and quick synths (`-c skipLayerBuild=true`): the layer without packages."""
    layer_dir = build_root / "deps-empty"
    (layer_dir / "python").mkdir(parents=True, exist_ok=True)
    (layer_dir / "python" / "README.txt").write_text("Synthesized with skipLayerBuild: no packages.\n")
    return layer_dir


if __name__ == "__main__":
    print(build_dependencies_layer())
