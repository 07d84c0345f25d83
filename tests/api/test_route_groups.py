"""Route groups (decision 0029): the API apps import a router at the first request to its paths, and
answer exactly as the same app built with every router at once."""

import functools
import json
import re
import sys
from types import ModuleType, SimpleNamespace

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from mangum import Mangum
from sqlalchemy.exc import IntegrityError

from meetings.api.app import create_app
from meetings.api.errors import register_constraint_error
from meetings.api.route_groups import RouteGroup
from meetings.errors import Conflict
from tests.support.fresh_interpreter import handler_report


def _manager(eager: bool):
    from meetings.manager.app import ROUTE_GROUPS
    from meetings.notifications.openapi import document_webhooks

    app = _built("Meetings manager API", ROUTE_GROUPS, "Backoffice: organizations, people, usage.", eager)
    document_webhooks(app)
    return app


def _secretary(eager: bool):
    from meetings.secretary.app import ROUTE_GROUPS

    return _built("Meetings secretary API", ROUTE_GROUPS, "Rooms, participants, joins, recordings.", eager)


def _built(title, groups, description, eager):
    if eager:
        return create_app(title, [group.load() for group in groups], description=description)
    return create_app(title, groups=groups, description=description)


APPS = {"manager": _manager, "secretary": _secretary}


def _groups(name):
    from meetings.manager.app import ROUTE_GROUPS as MANAGER
    from meetings.secretary.app import ROUTE_GROUPS as SECRETARY

    return {"manager": MANAGER, "secretary": SECRETARY}[name]


@pytest.mark.parametrize("name", APPS)
def test_every_route_of_a_group_lies_under_its_prefixes(name):
    outside = [
        f"{group.module}: {route.path}"
        for group in _groups(name)
        for route in group.load().routes
        if not group.serves(route.path)
    ]
    assert outside == []


@pytest.mark.parametrize(
    "path, served",
    [
        ("/v1/rooms/1/note", True),
        ("/v1/rooms/1/note/", True),
        ("/v1/rooms/1/note/versions/2", True),
        ("/v1/rooms/1/notes", False),
        ("/v1/rooms//note", False),
        ("/v1/rooms/1", False),
    ],
)
def test_a_prefix_names_whole_segments_and_a_parameter_any_one(path, served):
    assert RouteGroup(("/v1/rooms/{room_id}/note",), "not.imported").serves(path) is served


@pytest.mark.parametrize("name", APPS)
def test_the_openapi_document_is_the_one_of_every_router_included_at_once(name):
    eager = APPS[name](eager=True).openapi()
    assert json.dumps(APPS[name](eager=False).openapi()) == json.dumps(eager)
    first_served_late = APPS[name](eager=False)
    last_group = re.sub(r"\{\w+\}", "1", _groups(name)[-1].prefixes[0])
    TestClient(first_served_late, raise_server_exceptions=False).get(last_group)  # included before the rest
    assert 0 < len(first_served_late.state.route_groups.pending) < len(_groups(name))
    assert json.dumps(first_served_late.openapi()) == json.dumps(eager)


def _requests_to_every_route(name):
    """Each route's path (parameters as 1), with a trailing slash and with one segment more, in its own
    methods and in GET: a request to a path whose group is not included yet."""
    for route in (route for group in _groups(name) for route in group.load().routes):
        path = re.sub(r"\{\w+(:path)?\}", "1", route.path)
        for method in sorted(route.methods | {"GET"}):
            for variant in (path, path + "/", path + "/more"):
                yield pytest.param(name, method, variant, id=f"{name} {method} {variant}")


@pytest.mark.parametrize(
    "name, method, path", [request for name in APPS for request in _requests_to_every_route(name)]
)
def test_a_first_request_to_any_route_gets_the_answer_of_the_eager_app(name, method, path):
    answers = []
    for app in (_eager_app(name), APPS[name](eager=False)):
        client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        response = client.request(method, path)
        answers.append((response.status_code, response.content, response.headers.get("location")))
    assert answers[1] == answers[0]


@functools.cache
def _eager_app(name):
    return APPS[name](eager=True)


@pytest.mark.parametrize("name", APPS)
@pytest.mark.parametrize(
    "method, path",
    [("GET", "/nowhere"), ("GET", "/v1/nowhere/1"), ("DELETE", "/v1/users"), ("PUT", "/v1/rooms")],
)
def test_an_unknown_path_or_method_gets_the_same_answer(name, method, path):
    answers = []
    for eager in (True, False):
        response = TestClient(APPS[name](eager=eager)).request(method, path)
        answers.append((response.status_code, response.json(), dict(response.headers)))
    assert answers[0] == answers[1]
    assert answers[0][0] in (404, 405)


def test_the_snapshot_hook_includes_every_group():
    from meetings import snapshot

    app = _secretary(eager=False)
    snapshot.prime(Mangum(app, lifespan="off"))
    assert app.state.route_groups.pending == ()


def test_a_constraint_mapped_beside_a_route_not_yet_included_gets_its_answer(monkeypatch):
    def router_on_import(name: str) -> APIRouter:  # as a routes module maps its constraints on import
        if name != "router":
            raise AttributeError(name)
        register_constraint_error("uq_probe_late", Conflict("Taken.", code="probe_taken"))
        return APIRouter()

    late_routes = ModuleType("probe_late_routes")
    late_routes.__getattr__ = router_on_import
    monkeypatch.setitem(sys.modules, "probe_late_routes", late_routes)

    breaking = APIRouter()

    @breaking.post("/probe")
    def probe() -> None:
        raise IntegrityError(
            "INSERT", {}, SimpleNamespace(diag=SimpleNamespace(constraint_name="uq_probe_late"))
        )

    app = create_app("probe", [breaking], groups=[RouteGroup(("/late",), "probe_late_routes")])
    response = TestClient(app).post("/probe")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "probe_taken")


FIRST_REQUEST = """
import copy, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("handler", {path!r})
handler = importlib.util.module_from_spec(spec)
spec.loader.exec_module(handler)
from meetings import snapshot

DOMAINS = ("meetings.manager.", "meetings.secretary.", "meetings.notifications.")


def loaded(suffix):
    return sorted(m for m in sys.modules if m.startswith(DOMAINS) and m.endswith(suffix))

at_init = loaded("routes")
event = copy.deepcopy(snapshot.WARM_UP_EVENT)
event["rawPath"] = event["requestContext"]["http"]["path"] = {request!r}
status = handler.handler(event, None)["statusCode"]
print(json.dumps({{
    "at_init": at_init, "after": loaded("routes"), "services": loaded(".service"), "status": status
}}))
"""


@pytest.mark.parametrize(
    "name, request_path, loaded",
    [
        ("manager_api", "/v1/usage", ["meetings.manager.usage.routes"]),
        ("manager_api", "/v1/auth/me", ["meetings.manager.auth.routes"]),
        ("secretary_api", "/v1/recordings/1", ["meetings.secretary.recordings.routes"]),
        ("secretary_api", "/join/a-token", ["meetings.secretary.joinpage.routes"]),
    ],
)
def test_a_handler_imports_no_router_until_a_request_needs_one(name, request_path, loaded):
    report = _first_request(name, request_path)
    assert report["at_init"] == []
    assert report["after"] == loaded
    assert report["status"] != 404


def test_the_entity_routes_load_another_domain_only_to_delete_an_entity():
    """Entity deletion asks each domain's service for its part of the cascade; reading, listing,
    creating and updating entities need none of them."""
    assert _first_request("manager_api", "/v1/entities/1")["services"] == [
        "meetings.manager.entities.service"
    ]


def _first_request(name: str, request_path: str) -> dict:
    return handler_report(FIRST_REQUEST, name, request=request_path)
