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


def test_no_development_tooling_ships_in_the_layer_or_the_images():
    dev_tooling = {
        "embedded_db",
        "livekit_api",
        "livekit_webhooks",
        "kb_events",
        "recording_events",
        "s3_events",
    }
    shipped = [
        path.relative_to(sources.REPO_ROOT)
        for path in (sources.CORE_LAYER_DIR / "python").rglob("*.py")
        if path.stem in dev_tooling or {"local", "demo", "devserver"} & set(path.parts) or path.stem == "demo"
    ]
    assert shipped == []
    for excludes in (sources.KB_IMAGE_EXCLUDES, sources.AGENT_IMAGE_EXCLUDES):
        kept = [pattern[1:] for pattern in excludes if pattern.startswith("!")]
        assert not [path for path in kept if path.startswith("devserver")]
