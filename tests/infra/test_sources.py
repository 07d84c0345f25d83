"""Container build contexts: each holds exactly what its Dockerfile copies."""

import re

import pytest

from infra import sources


def _copied_paths(dockerfile: str) -> list[str]:
    text = (sources.REPO_ROOT / dockerfile).read_text()
    paths = []
    for line in text.splitlines():
        match = re.match(r"^\s*COPY\s+(?!--from)(.+)$", line)
        if match:
            paths.extend(match.group(1).split()[:-1])
    return [path.rstrip("/") for path in paths if not path.startswith("--")]


@pytest.mark.parametrize(
    ("dockerfile", "excludes"),
    [
        (sources.KB_DOCKERFILE, sources.KB_IMAGE_EXCLUDES),
        (sources.AGENT_DOCKERFILE, sources.AGENT_IMAGE_EXCLUDES),
    ],
)
def test_context_keeps_everything_the_dockerfile_copies(dockerfile, excludes):
    assert excludes[0] == "*"
    kept = [pattern[1:] for pattern in excludes if pattern.startswith("!")]
    copied = _copied_paths(dockerfile)
    assert copied
    for path in copied:
        assert any(path == k or path.startswith(k + "/") for k in kept), path
