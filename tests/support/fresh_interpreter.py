"""A Lambda handler loaded in a fresh interpreter, as its runtime loads it: what a script prints of it."""

import json
import os
import subprocess
import sys

from infra import sources


def handler_report(script: str, name: str, *, env: dict[str, str] | None = None, **values) -> dict:
    """Runs `script` (formatted with `path`, the handler file of function `name`, and `values`) in a
    fresh interpreter; returns the JSON of its last line."""
    path = str(sources.function_dir(name) / "handler.py")
    result = subprocess.run(
        [sys.executable, "-c", script.format(path=path, **values)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ENVIRONMENT": "test", **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
