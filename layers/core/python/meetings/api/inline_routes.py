"""Sync routes called on the event loop, for a server that handles one request at a time.

FastAPI runs a `def` route in a worker thread and validates its answer in another hop, so that a
server answering many requests at once keeps its event loop free. A Lambda container answers one
request at a time: the loop has nothing else to do, and each hop only adds a thread handover (about
0.5 ms a request on the 2-core development machine, measured by bench_manager_api). The Lambda apps
therefore include their routers through `served_inline`; `make run`'s server, which answers
concurrent requests, includes them as they are.
"""

import copy
import functools
import inspect
from collections.abc import Callable

from fastapi import APIRouter
from fastapi.routing import APIRoute


def served_inline(router: APIRouter) -> APIRouter:
    """The same routes, each sync endpoint wrapped in a coroutine that calls it directly. The router
    passed in is left as it is (another app may include it with worker threads)."""
    inline = APIRouter()
    for route in router.routes:
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
