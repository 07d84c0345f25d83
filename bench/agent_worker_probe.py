"""The job process the worker benchmark starts (`first_question`: the worker's own `prewarm`, then what a
job's first question costs in memory), and, run as a script, one measurement through livekit-agents'
`ProcPool`: `python agent_worker_probe.py preloaded|spawn` prints a JSON line."""

import asyncio
import json
import multiprocessing as mp
import sys
import time

from agent_container.meeting_agent.worker import prewarm
from meetings.embeddings import get_embedder


def first_question(proc) -> None:
    prewarm(proc)
    get_embedder().embed_query("Can I stop taking clopidogrel after my stent?")


def process_memory(pid: int) -> dict[str, float]:
    import psutil

    info = psutil.Process(pid).memory_full_info()
    with open(f"/proc/{pid}/status") as status:
        peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    return {"pss": info.pss / 2**20, "uss": info.uss / 2**20, "peak_rss": peak_kib / 1024}


async def measure(layout: str, started_at: float) -> dict:
    from livekit.agents import Plugin
    from livekit.agents.ipc.proc_pool import ProcPool
    from livekit.agents.job import JobExecutorType

    from agent_container.meeting_agent.worker import PRELOAD_MODULES

    if layout == "preloaded":  # as AgentServer.run() sets it up
        ctx = mp.get_context("forkserver")
        packages = list(dict.fromkeys([p.package for p in Plugin.registered_plugins] + PRELOAD_MODULES))
        ctx.set_forkserver_preload(
            packages + ["livekit.agents.ipc._preload", "livekit.agents.ipc._preload_freeze"]
        )
    else:
        ctx = mp.get_context("spawn")
    pool = ProcPool(
        initialize_process_fnc=first_question,
        job_entrypoint_fnc=None,
        session_end_fnc=None,
        simulation_end_fnc=None,
        num_idle_processes=1,
        initialize_timeout=120,
        close_timeout=10,
        session_end_timeout=10,
        inference_executor=None,
        job_executor_type=JobExecutorType.PROCESS,
        mp_ctx=ctx,
        memory_warn_mb=0,
        memory_limit_mb=0,
        http_proxy=None,
        loop=asyncio.get_running_loop(),
    )
    created: dict[int, float] = {}
    ready: list = []
    pool.on("process_created", lambda proc: created.setdefault(id(proc), time.perf_counter()))
    pool.on("process_ready", lambda proc: ready.append((proc, time.perf_counter() - created[id(proc)])))
    await pool.start()
    while not ready:
        await asyncio.sleep(0.01)
    cold = time.perf_counter() - started_at
    pool._warmed_proc_queue.get_nowait()  # as a job takes the idle process, the pool warms the next one
    while len(ready) < 2:
        await asyncio.sleep(0.01)
    proc, process_seconds = ready[1]
    memory = process_memory(proc.pid)
    await pool.aclose()
    return {"cold": cold, "process": process_seconds, "memory": memory}


if __name__ == "__main__":
    started = time.perf_counter()
    print(json.dumps(asyncio.run(measure(sys.argv[1], started))))
