"""Routers an app includes at the first request to their paths, so that a cold start imports none of
them (decision 0029).

A group is the path prefixes its router serves and the module that defines the router (as `router`). The
app holds an empty router in each group's place from the start, so a group included later takes the
place it would have had among the app's routes. Whatever reads the whole app includes every group
first: the OpenAPI document (here), the SnapStart hook (`meetings.snapshot.prime`), a constraint
violation that no included route maps (`meetings.api.errors`), and `make run`, which includes them all.
"""

import importlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass(frozen=True)
class RouteGroup:
    """A router served under `prefixes`; a `{name}` segment of a prefix stands for any one segment, as
    in a route's path. Every route of the router lies under one of them (tests/api/test_route_groups.py)."""

    prefixes: tuple[str, ...]
    module: str

    def load(self) -> APIRouter:
        return importlib.import_module(self.module).router

    def serves(self, path: str) -> bool:
        segments = path.split("/")
        return any(_under(segments, prefix.split("/")) for prefix in self.prefixes)


def _under(segments: list[str], prefix: list[str]) -> bool:
    return len(segments) >= len(prefix) and all(
        part == segment or (part.startswith("{") and segment != "")
        for part, segment in zip(prefix, segments[: len(prefix)], strict=True)
    )


class RouteGroups:
    """The groups of one app, each in its place, included once."""

    def __init__(self, app: FastAPI, groups: Iterable[RouteGroup], prepare: Callable[[APIRouter], APIRouter]):
        self._pending: list[tuple[RouteGroup, APIRouter]] = []
        for group in groups:
            place = APIRouter()
            app.include_router(place)
            self._pending.append((group, place))
        self._prepare = prepare
        self._lock = threading.Lock()

    @property
    def pending(self) -> tuple[RouteGroup, ...]:
        """The groups not included yet."""
        return tuple(group for group, _ in self._pending)

    def include(self, path: str | None = None) -> None:
        """Includes the groups that serve `path` (every group when None) and are not included yet."""
        if not self._pending:
            return
        with self._lock:
            for entry in list(self._pending):
                group, place = entry
                if path is None or group.serves(path):
                    place.include_router(self._prepare(group.load()))
                    self._pending.remove(entry)


class _IncludesRouteGroups:
    """Includes the groups serving a request's path before the app routes it."""

    def __init__(self, app: ASGIApp, groups: RouteGroups) -> None:
        self.app = app
        self.groups = groups

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path, root = scope["path"], scope.get("root_path", "")
            self.groups.include(path[len(root) :] if root and path.startswith(root + "/") else path)
        await self.app(scope, receive, send)


def mount_route_groups(
    app: FastAPI, groups: Iterable[RouteGroup], prepare: Callable[[APIRouter], APIRouter]
) -> None:
    """Gives `app` the groups, each router passed through `prepare` when it is included."""
    groups = tuple(groups)
    if not groups:
        return
    route_groups = RouteGroups(app, groups, prepare)
    app.state.route_groups = route_groups
    app.add_middleware(_IncludesRouteGroups, groups=route_groups)
    build_schema = app.openapi

    def openapi() -> dict:
        route_groups.include()
        return build_schema()

    app.openapi = openapi


def include_every_group(app: object) -> None:
    """Includes every group of an app given route groups; any other app is left as it is."""
    route_groups = getattr(getattr(app, "state", None), "route_groups", None)
    if route_groups is not None:
        route_groups.include()
