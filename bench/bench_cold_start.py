"""Cold start: each Lambda handler's import in a fresh interpreter against the libraries it cannot avoid,
imported alone in the same run (API handlers: a one-route FastAPI + Mangum app that skips FastAPI's
needless pydantic.v1 import as the handlers do, with SQLAlchemy's ORM and psycopg dialect; jobs: the same
database stack + boto3; each handler's own where its every invocation needs more).

Measured as the child process's CPU time (what an init phase spends with its vCPU), interleaved with the
floor so a burst of load hits both alike; the wall time is printed beside it.
"""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
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
    "note_drafter": (f"pydantic, {JOB_FLOOR}", "job + pydantic, which reads every model answer"),
    "migrate": ("sqlalchemy, psycopg, boto3", "job; alembic loads when it runs"),
}

MEASURE = """
import json, time
wall, cpu = time.perf_counter(), time.process_time()
{body}
print(json.dumps({{"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}}))
"""
LOAD_HANDLER = (
    "import importlib.util\n"
    "spec = importlib.util.spec_from_file_location('handler', {path!r})\n"
    "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)"
)


def measure(body: str) -> dict:
    environment = {**os.environ, "ENVIRONMENT": "test", "PYTHONDONTWRITEBYTECODE": "0"}
    answer = subprocess.run(
        [sys.executable, "-c", MEASURE.format(body=body)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=environment,
        check=True,
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"cold imports: median of {RUNS} fresh interpreters each, CPU time (wall time)")
    for name, (floor, kind) in HANDLERS.items():
        handler = LOAD_HANDLER.format(path=str(REPO_ROOT / "functions" / name / "handler.py"))
        measure(handler)  # byte-compile once, as the deployed zip ships compiled files
        pairs = [(measure(f"import {floor}"), measure(handler)) for _ in range(RUNS)]
        floor_cpu = statistics.median(p[0]["cpu"] for p in pairs)
        handler_cpu = statistics.median(p[1]["cpu"] for p in pairs)
        floor_wall = statistics.median(p[0]["wall"] for p in pairs)
        handler_wall = statistics.median(p[1]["wall"] for p in pairs)
        print(
            f"cold import {name}: {handler_cpu * 1000:.0f} ms ({handler_wall * 1000:.0f} ms wall)"
            f" | floor [{kind}] {floor_cpu * 1000:.0f} ms ({floor_wall * 1000:.0f} ms wall)"
            f" | ratio {handler_cpu / floor_cpu:.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
