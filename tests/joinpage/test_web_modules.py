"""The page's DOM-free modules (languages, lobby states, text streams) under node's test runner."""

import shutil
import subprocess

import pytest

from tests.joinpage.support import REPO_ROOT


def test_web_modules():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    web = REPO_ROOT / "web"
    test_files = sorted(str(path.relative_to(web)) for path in (web / "test").glob("*.test.js"))
    assert test_files
    result = subprocess.run(
        [node, "--test", *test_files], cwd=web, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
