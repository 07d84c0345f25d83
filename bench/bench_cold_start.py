"""Cold start: each zip handler's import in a fresh interpreter, the way Lambda runs it, against the
libraries it cannot avoid, imported alone in the same run (API handlers: a one-route FastAPI + Mangum app
that skips FastAPI's needless pydantic.v1 import as the handlers do, with SQLAlchemy's ORM and psycopg
dialect; jobs: the same database stack + boto3; each handler's own where its every invocation needs more).

The way Lambda runs it: `python -S` with only the runtime's packages, the dependencies layer as the
build makes it and the staged core layer and function code on the path, compiled as they ship, and
nowhere to write bytecode. Handler and floor both import with the garbage collector paused, as the
handlers do (meetings/init_phase.py). One more line shows the manager handler shipped as the first
build shipped it, without bytecode; then, for each SnapStart handler, the first-request work its
snapshot hook does in the init phase instead (meetings/snapshot.prime); then the first IAM database
token of a process, and the knowledge image's init with and without the collector pause.

Measured as the child process's CPU time (what an init phase spends with its vCPU), interleaved with the
floor so a burst of load hits both alike; the wall time is printed beside it.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from infra import code_assets, layer_build, sources  # noqa: E402

RUNS = int(os.environ.get("BENCH_COLD_RUNS", "9"))

DATABASE = "sqlalchemy.orm, sqlalchemy.dialects.postgresql.psycopg, psycopg"
# The API handlers skip FastAPI's needless import of pydantic.v1 (meetings/api/fastapi_startup.py); so
# does the floor, which would otherwise pay ~45 ms the handlers no longer do.
API_FLOOR = (
    f"fastapi, mangum, pydantic, sys, {DATABASE}\n"
    "from fastapi._compat import shared\n"
    "from fastapi import encoders\n"
    "c, i = shared.is_pydantic_v1_model_class, shared.is_pydantic_v1_model_instance\n"
    "shared.is_pydantic_v1_model_class = lambda x: 'pydantic.v1' in sys.modules and c(x)\n"
    "shared.is_pydantic_v1_model_instance = encoders.is_pydantic_v1_model_instance = "
    "lambda x: 'pydantic.v1' in sys.modules and i(x)\n"
    "class Item(pydantic.BaseModel):\n    id: int\n"
    "app = fastapi.FastAPI()\n"
    "app.get('/items/{item_id}', response_model=Item)(lambda item_id: Item(id=item_id))\n"
    "handler = mangum.Mangum(app, lifespan='off')"
)
JOB_FLOOR = f"boto3, {DATABASE}"
# handler → (floor imports, why the floor is what it is)
HANDLERS = {
    "manager_api": (API_FLOOR, "API"),
    "secretary_api": (API_FLOOR, "API"),
    "livekit_webhook": (f"livekit.api, {API_FLOOR}", "API + the webhook verifier every invocation uses"),
    "recording_finalizer": (JOB_FLOOR, "job"),
    "retention_purge": (JOB_FLOOR, "job"),
    "webhook_sweep": (JOB_FLOOR, "job"),
    "webhook_dispatcher": (f"standardwebhooks, {JOB_FLOOR}", "job + the signer every delivery uses"),
    "note_drafter": (f"pydantic, {JOB_FLOOR}", "job + pydantic, which reads every model answer"),
    "migrate": ("sqlalchemy, psycopg, boto3", "job; alembic loads when it runs"),
}

MEASURE = """
import gc, json, time
wall, cpu = time.perf_counter(), time.process_time()
gc.disable()
{body}
gc.freeze()
gc.enable()
print(json.dumps({{"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}}))
"""


def measure(body: str, *, cwd: Path, environment: dict[str, str]) -> dict:
    answer = subprocess.run(
        [sys.executable, "-S", "-c", MEASURE.format(body=body)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        check=True,
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])


# A function's first database connection signs an IAM token, after the settings read their secrets
# (so botocore's shared data is already loaded): through an RDS client, or botocore's signer directly.
FIRST_TOKEN = """
import json, sys, time
import boto3
from meetings.db_aws import rds_auth_token
boto3.client("secretsmanager", region_name="us-east-1")
cpu = time.process_time()
if sys.argv[1] == "client":
    boto3.client("rds", region_name="us-east-1").generate_db_auth_token(
        DBHostname="proxy.example.com", Port=5432, DBUsername="meetings_app", Region="us-east-1"
    )
else:
    rds_auth_token(
        boto3.Session().get_credentials(),
        host="proxy.example.com", port=5432, user="meetings_app", region="us-east-1",
    )
print(json.dumps({"cpu": time.process_time() - cpu}))
"""


def first_token(kind: str, environment: dict[str, str]) -> float:
    credentials = {
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "t",
    }
    answer = subprocess.run(
        [sys.executable, "-S", "-c", FIRST_TOKEN, kind],
        capture_output=True,
        text=True,
        env={**environment, **credentials},
        check=True,
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])["cpu"]


# What a SnapStart handler's before-snapshot hook does in the init phase (every router, the mappers, a
# first request through the app, the secrets cache and the AWS SDK it imports), against the same request
# once the process is warm: work a restored cold start skips.
PRIMED = """
import json, time
import handler
from meetings import snapshot
cpu = time.process_time()
snapshot.prime(handler.handler)
primed = time.process_time() - cpu
cpu = time.process_time()
handler.handler(snapshot.WARM_UP_EVENT, None)
print(json.dumps({"primed": primed, "warm": time.process_time() - cpu}))
"""


def primed(directory: Path, environment: dict[str, str]) -> tuple[float, float]:
    answer = subprocess.run(
        [sys.executable, "-S", "-c", PRIMED],
        capture_output=True,
        text=True,
        cwd=directory,
        env=environment,
        check=True,
    )
    times = json.loads(answer.stdout.strip().splitlines()[-1])
    return times["primed"], times["warm"]


# The knowledge image's init (torch, sentence-transformers, the model), in the development environment,
# which holds the image's packages: as the handler runs it, and with its collector pause switched off.
IMAGE_INIT = """
import contextlib, importlib.util, json, sys, time
import meetings.init_phase
if sys.argv[1] == "collector on":
    meetings.init_phase.collector_paused = contextlib.nullcontext
cpu = time.process_time()
spec = importlib.util.spec_from_file_location("handler", "functions/kb_search/handler.py")
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(json.dumps({"cpu": time.process_time() - cpu}))
"""
IMAGE_RUNS = max(3, RUNS // 2)


def image_init(variant: str) -> float:
    answer = subprocess.run(
        [sys.executable, "-c", IMAGE_INIT, variant],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "ENVIRONMENT": "test", "HF_HUB_OFFLINE": "1"},
        check=True,
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])["cpu"]


def _without_bytecode(tree: Path, target: Path) -> Path:
    """`tree` as the first build shipped it: links to its files, no bytecode beside them."""
    for directory, subdirectories, files in os.walk(tree):
        subdirectories[:] = [name for name in subdirectories if name != "__pycache__"]
        copy = target / Path(directory).relative_to(tree)
        copy.mkdir(parents=True, exist_ok=True)
        for name in files:
            (copy / name).symlink_to(Path(directory) / name)
    return target


def _report(name: str, kind: str, pairs: list[tuple[dict, dict]]) -> None:
    floor_cpu = statistics.median(p[0]["cpu"] for p in pairs)
    handler_cpu = statistics.median(p[1]["cpu"] for p in pairs)
    floor_wall = statistics.median(p[0]["wall"] for p in pairs)
    handler_wall = statistics.median(p[1]["wall"] for p in pairs)
    print(
        f"cold import {name}: {handler_cpu * 1000:.0f} ms ({handler_wall * 1000:.0f} ms wall)"
        f" | {kind} {floor_cpu * 1000:.0f} ms ({floor_wall * 1000:.0f} ms wall)"
        f" | ratio {handler_cpu / floor_cpu:.2f}x",
        flush=True,
    )


def _compare(ours: str, against: str, pairs: list[tuple[float, float]]) -> None:
    """Medians of interleaved (ours, against) CPU times, and their ratio."""
    mine = statistics.median(p[0] for p in pairs)
    theirs = statistics.median(p[1] for p in pairs)
    print(
        f"{ours}: {mine * 1000:.1f} ms | {against} {theirs * 1000:.1f} ms | ratio {mine / theirs:.2f}x",
        flush=True,
    )


def main() -> None:
    layer = layer_build.build_packages()
    code = code_assets.stage_code(REPO_ROOT / ".build" / "bench" / "assets")
    print(f"cold imports: median of {RUNS} fresh interpreters each, CPU time (wall time), as deployed")
    with layer_build.lambda_environment(layer, code.core_layer) as environment:
        for name, (floor, kind) in HANDLERS.items():
            directory = code.functions[name]

            def run(body: str, directory: Path = directory) -> dict:
                return measure(body, cwd=directory, environment=environment)

            pairs = [(run(f"import {floor}"), run("import handler")) for _ in range(RUNS)]
            _report(name, f"floor [{kind}]", pairs)
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            plain_layer = scratch / "deps"
            plain_core = scratch / "core"
            _without_bytecode(layer / "python", plain_layer / "python")
            _without_bytecode(code.core_layer / "python", plain_core / "python")
            directory = _without_bytecode(code.functions["manager_api"], scratch / "manager_api")
            with layer_build.lambda_environment(plain_layer, plain_core) as plain:
                pairs = [
                    (
                        measure("import handler", cwd=code.functions["manager_api"], environment=environment),
                        measure("import handler", cwd=directory, environment=plain),
                    )
                    for _ in range(RUNS)
                ]
            _report("manager_api shipped without bytecode", "shipped compiled", pairs)
        for name in sources.SNAPSTART_FUNCTIONS:
            _compare(
                f"{name} before-snapshot hook (routers, mappers, a first request, the AWS SDK), in the init phase",
                "the same request warm",
                [primed(code.functions[name], environment) for _ in range(RUNS)],
            )
        _compare(
            "first IAM database token, botocore's signer",
            "through an RDS client",
            [(first_token("signer", environment), first_token("client", environment)) for _ in range(RUNS)],
        )
    _compare(
        f"kb_search image init (median of {IMAGE_RUNS}), collector paused",
        "collector on",
        [(image_init("as shipped"), image_init("collector on")) for _ in range(IMAGE_RUNS)],
    )


if __name__ == "__main__":
    main()
