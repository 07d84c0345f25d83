"""Where the platform's code lives in the repository, and what the container builds may see."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = REPO_ROOT / "functions"
CORE_LAYER_DIR = REPO_ROOT / "layers" / "core"
MIGRATIONS_DIR = REPO_ROOT / "migrations"
KB_DOCKERFILE = "functions/kb_ingest/Dockerfile"
AGENT_DOCKERFILE = "agent_container/Dockerfile"
# Built from web/ into the core package (`make install`); the secretary serves it at /join and /join-assets.
JOIN_PAGE_BUNDLE = "layers/core/python/meetings/secretary/joinpage/static/manifest.json"


# Container builds use the repository root as context (they need layers/core and functions/): only
# what the Dockerfiles copy is staged and hashed (Docker ignore syntax: exclude all, re-include).
def _only(*paths: str) -> list[str]:
    return ["*", *(f"!{path}" for path in paths), "**/__pycache__", "**/*.egg-info", "**/*.pyc"]


KB_IMAGE_EXCLUDES = _only(
    "pyproject.toml", "layers/core/python", "functions/kb_ingest", "functions/kb_search"
)
AGENT_IMAGE_EXCLUDES = _only("pyproject.toml", "layers/core/python", "agent_container")


def function_dir(name: str) -> Path:
    return FUNCTIONS_DIR / name


def missing_sources() -> list[str]:
    """Entry points and Dockerfiles the stack deploys that are not in the checkout."""
    expected = [
        *(f"functions/{name}/handler.py" for name in ZIP_FUNCTIONS),
        KB_DOCKERFILE,
        "functions/kb_search/handler.py",
        AGENT_DOCKERFILE,
        JOIN_PAGE_BUNDLE,
    ]
    return [path for path in expected if not (REPO_ROOT / path).exists()]


# The API functions run python3.12 with Lambda SnapStart (decision 0020); the others python3.11.
SNAPSTART_FUNCTIONS = ("manager_api", "secretary_api", "livekit_webhook")
SNAPSTART_PYTHON_VERSION = "3.12"
ZIP_FUNCTIONS = (
    "manager_api",
    "secretary_api",
    "livekit_webhook",
    "recording_finalizer",
    "retention_purge",
    "webhook_sweep",
    "webhook_dispatcher",
    "note_drafter",
    "migrate",
)

PLACEHOLDER_ROOT = REPO_ROOT / ".build" / "placeholders"
PLACEHOLDER_HANDLER = '''"""Stand-in deployed while this function's source is missing from the checkout."""


def handler(event, context):
    raise RuntimeError("this function was synthesized without its source")
'''
PLACEHOLDER_DOCKERFILE = (
    'FROM public.ecr.aws/lambda/python:3.11\nCOPY handler.py ${LAMBDA_TASK_ROOT}/\nCMD ["handler.handler"]\n'
)
# The knowledge image holds both knowledge functions; the search function selects its entry point.
KB_IMAGE_COMMANDS = {"ingest": None, "search": ["kb_search_handler.handler"]}


def placeholder_function(name: str) -> Path:
    directory = PLACEHOLDER_ROOT / name
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "handler.py").write_text(PLACEHOLDER_HANDLER)
    return directory


def _placeholder_image(name: str) -> Path:
    directory = placeholder_function(name)
    (directory / "Dockerfile").write_text(PLACEHOLDER_DOCKERFILE)
    return directory


def kb_image_code(kind: str):
    """The knowledge-base container image (repository root as build context)."""
    from aws_cdk import aws_ecr_assets as ecr_assets
    from aws_cdk import aws_lambda as lambda_

    if (REPO_ROOT / KB_DOCKERFILE).exists():
        return lambda_.DockerImageCode.from_image_asset(
            str(REPO_ROOT),
            file=KB_DOCKERFILE,
            cmd=KB_IMAGE_COMMANDS[kind],
            exclude=KB_IMAGE_EXCLUDES,
            platform=ecr_assets.Platform.LINUX_AMD64,
        )
    return lambda_.DockerImageCode.from_image_asset(str(_placeholder_image("kb_image")))


def agent_image_context() -> Path:
    return REPO_ROOT if (REPO_ROOT / AGENT_DOCKERFILE).exists() else _placeholder_image("agent_image")


def agent_image_file() -> str:
    return AGENT_DOCKERFILE if (REPO_ROOT / AGENT_DOCKERFILE).exists() else "Dockerfile"
