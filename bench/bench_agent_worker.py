"""Meeting agent worker: how long a job process takes to be ready, and how much memory it holds, through
livekit-agents' own process pool (`ProcPool`, as `AgentServer` builds it), against the floor of importing
torch + sentence-transformers and loading the model in a fresh interpreter.

Three figures per layout, each in fresh interpreters:
- cold start: the first process of a new task (forkserver start with its preloads, then the process);
- process start: a further job process (what `initialize_process_timeout` bounds);
- memory per job process after a first question's embedding: PSS (shared pages split among sharers),
  USS (private pages: what one more process costs) and peak RSS.

Layouts: `preloaded` is the worker as configured (forkserver, `preload_modules`); `spawn` is the worker
before (each process imports torch and loads the model inside its initialisation).
"""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from support import bench_database, report  # noqa: E402

RUNS = 3
PYTHONPATH = os.pathsep.join([str(ROOT / "layers" / "core" / "python"), str(ROOT)])

FLOOR = """
import time
t = time.perf_counter()
import torch, sentence_transformers
from meetings.embeddings import resolve_model_location
from meetings.settings import get_settings
sentence_transformers.SentenceTransformer(resolve_model_location(get_settings().embedding_model), device="cpu")
print(time.perf_counter() - t)
"""

PROBE = str(Path(__file__).resolve().parent / "agent_worker_probe.py")


def run(*command: str) -> str:
    env = {**os.environ, "PYTHONPATH": PYTHONPATH + os.pathsep + str(Path(__file__).parent)}
    done = subprocess.run(
        [sys.executable, *command], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return done.stdout.strip().splitlines()[-1]


def main() -> None:
    with bench_database("meetings_bench_agent_worker"):
        floors = [float(run("-c", FLOOR)) for _ in range(RUNS)]
        floor = statistics.median(floors)
        timeout = 30.0
        from agent_container.meeting_agent.config import AgentConfig

        timeout = AgentConfig().initialize_process_timeout_seconds
        for layout in ("preloaded", "spawn"):
            results = [json.loads(run(PROBE, layout)) for _ in range(RUNS)]
            cold = statistics.median(r["cold"] for r in results)
            process = statistics.median(r["process"] for r in results)
            report(
                f"agent worker cold start, {layout}", cold, "s", floor=floor, floor_name="torch+model load"
            )
            report(
                f"agent job process start, {layout}", process, "s", floor=floor, floor_name="torch+model load"
            )
            print(
                f"  margin under initialize_process_timeout {timeout:.0f} s: {timeout / process:.1f}x",
                flush=True,
            )
            for metric in ("pss", "uss", "peak_rss"):
                value = statistics.median(r["memory"][metric] for r in results)
                report(f"agent job process memory {metric}, {layout}", value, "MiB")


if __name__ == "__main__":
    main()
