"""Sync routes on the event loop in the Lambda apps, on worker threads under `make run`."""

import inspect
import threading

import pytest
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient

from meetings.api.app import create_app
from meetings.api.inline_routes import run_blocking


def thread_name() -> str:
    return threading.current_thread().name


def probe_router() -> APIRouter:
    router = APIRouter(prefix="/probe")

    @router.get("/loop")
    async def loop_thread() -> dict:
        return {"thread": thread_name()}

    @router.get("/sync/{number}")
    def sync_route(number: int, request: Request) -> dict:
        return {"thread": thread_name(), "number": number, "path": request.url.path}

    @router.get("/blocking")
    async def blocking_work(request: Request) -> dict:
        return {"thread": await run_blocking(request, thread_name)}

    return router


@pytest.mark.parametrize("one_request_at_a_time", [True, False], ids=["lambda", "make run"])
def test_sync_work_runs_on_the_loop_only_for_one_request_at_a_time(one_request_at_a_time):
    app = create_app("probe", [probe_router()], one_request_at_a_time=one_request_at_a_time)

    with TestClient(app) as client:
        loop = client.get("/probe/loop").json()["thread"]
        sync = client.get("/probe/sync/7").json()
        blocking = client.get("/probe/blocking").json()["thread"]

    assert (sync["number"], sync["path"]) == (7, "/probe/sync/7")  # parameters and request still injected
    assert (sync["thread"] == loop) is one_request_at_a_time
    assert (blocking == loop) is one_request_at_a_time


def test_the_router_included_inline_is_left_as_it_was():
    router = probe_router()

    create_app("probe", [router], one_request_at_a_time=True)

    endpoints = {route.path: route.endpoint for route in router.routes}
    assert not inspect.iscoroutinefunction(endpoints["/probe/sync/{number}"])


def test_a_sync_route_keeps_its_documented_parameters_and_answer():
    inline = create_app("probe", [probe_router()], one_request_at_a_time=True).openapi()
    threaded = create_app("probe", [probe_router()], one_request_at_a_time=False).openapi()

    assert inline["paths"]["/probe/sync/{number}"] == threaded["paths"]["/probe/sync/{number}"]


def test_a_router_nested_in_another_is_refused_rather_than_left_on_threads():
    outer = APIRouter()
    outer.include_router(probe_router())

    with pytest.raises(TypeError, match="list of routers"):
        create_app("probe", [outer], one_request_at_a_time=True)
