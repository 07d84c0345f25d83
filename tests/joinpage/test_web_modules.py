"""The page's DOM-free modules (languages, lobby states, text streams) under node's test runner."""

import shutil
import subprocess

import pytest

from tests.joinpage.support import REPO_ROOT


def test_web_modules():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    result = subprocess.run(
        [node, "--test", "test/"], cwd=REPO_ROOT / "web", capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
