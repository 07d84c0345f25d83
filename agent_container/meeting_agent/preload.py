"""Imported once in the worker's forkserver (AgentServer `preload_modules`): torch, sentence-transformers
and the embedding model's weights are loaded there, and every job process forked from it inherits them
copy-on-write, so a process starts in milliseconds and the weights are in memory once per task.

Loading runs no inference, so no thread pool exists yet when the forkserver forks. It runs with the
garbage collector paused (`meetings.init_phase`; about 1.5 s less of a task's cold start,
bench/bench_agent_worker.py), and what it built is frozen, as Python advises before forking: a job
process's collections never scan those objects."""

from meetings.init_phase import collector_paused

with collector_paused():
    from meetings.embeddings import get_embedder

    get_embedder()
