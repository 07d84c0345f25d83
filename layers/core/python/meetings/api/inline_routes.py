"""Sync routes called on the event loop, for a server that handles one request at a time.

FastAPI runs a `def` route in a worker thread and validates its answer in another hop, so that a
server answering many requests at once keeps its event loop free. A Lambda container answers one
request at a time: the loop has nothing else to do, and each hop only adds a thread handover (about
0.5 ms a request on the 2-core development machine, measured by bench_manager_api). The Lambda apps
therefore include their routers through `served_inline`; `make run`'s server, which answers
concurrent requests, includes them as they are. A coroutine route that has blocking work to do after
an await (reading the body first) hands it to `run_blocking`, which follows the same choice.
"""

import copy
import functools
import inspect
from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

T = TypeVar("T")


def served_inline(router: APIRouter) -> APIRouter:
    """The same routes, each sync endpoint wrapped in a coroutine that calls it directly. The router
    passed in is left as it is (another app may include it with worker threads)."""
    inline = APIRouter()
    for route in router.routes:
        if hasattr(route, "original_router"):  # FastAPI's entry for a router included in this one
            raise TypeError(
                f"served_inline takes routers of routes; include {route.original_router.prefix or 'the'} "
                "router in the app's list of routers instead of in another router"
            )
        if isinstance(route, APIRoute) and not inspect.iscoroutinefunction(route.endpoint):
            route = copy.copy(route)
            route.endpoint = _called_inline(route.endpoint)
        inline.routes.append(route)
    return inline


def _called_inline(endpoint: Callable) -> Callable:
    # functools.wraps keeps the signature and annotations FastAPI reads for parameters and dependencies.
    @functools.wraps(endpoint)
    async def call(*args, **kwargs):
        return endpoint(*args, **kwargs)

    return call


async def run_blocking(request: Request, work: Callable[..., T], *args) -> T:
    """`work(*args)` directly in an app that answers one request at a time, on a worker thread otherwise."""
    if getattr(request.app.state, "one_request_at_a_time", False):  # an app not built by create_app: threads
        return work(*args)
    return await run_in_threadpool(work, *args)
