"""Imported once in the worker's forkserver (AgentServer `preload_modules`): torch, sentence-transformers
and the embedding model's weights are loaded there, and every job process forked from it inherits them
copy-on-write, so a process starts in milliseconds and the weights are in memory once per task.

Loading runs no inference, so no thread pool exists yet when the forkserver forks."""

from meetings.embeddings import get_embedder

get_embedder()
