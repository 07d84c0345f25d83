"""The images bake the model the stack describes: the same name, dimension, prompts and languages."""

import re
from pathlib import Path

import pytest

from infra.embedding_model import EMBEDDING_DIM, EMBEDDING_MODEL, EMBEDDING_PROFILE
from meetings.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ["functions/kb_ingest/Dockerfile", "agent_container/Dockerfile"]


def baked(dockerfile: str) -> dict[str, str]:
    """The ENV values of a Dockerfile (`NAME=value` or `NAME="value"`)."""
    text = Path(ROOT, dockerfile).read_text()
    return {
        name: quoted or plain for name, quoted, plain in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s\\]+))', text)
    }


@pytest.mark.parametrize("dockerfile", IMAGES)
def test_each_image_bakes_the_stacks_model_and_profile(dockerfile):
    values = baked(dockerfile)
    downloaded = re.findall(
        r"EMBEDDING_MODEL_NAME=(\S+)|SentenceTransformer\('([^']+)'", Path(ROOT, dockerfile).read_text()
    )
    assert [name for match in downloaded for name in match if name] == [EMBEDDING_MODEL]
    assert values["EMBEDDING_DIM"] == EMBEDDING_DIM
    for name, value in EMBEDDING_PROFILE.items():
        assert values[name] == value, name


def test_the_profile_passes_the_services_own_validation():
    settings = Settings(
        embedding_dim=EMBEDDING_DIM,
        embedding_query_prompt=EMBEDDING_PROFILE["EMBEDDING_QUERY_PROMPT"],
        embedding_passage_prompt=EMBEDDING_PROFILE["EMBEDDING_PASSAGE_PROMPT"],
        embedding_languages=EMBEDDING_PROFILE["EMBEDDING_LANGUAGES"],
    )
    assert settings.embedding_languages == {"english", "portuguese", "spanish"}
