"""The imports run one way: entry points → domain services → domain models → core. Each rule names the
imports that break it, so a new upward import or cycle fails here with its file and line."""

import ast

import pytest

from tests.architecture.import_graph import (
    LAYER_ROOT,
    REPO_ROOT,
    all_imports,
    find_cycle,
    known_module,
    shipped_modules,
)

MODULES = shipped_modules()
IMPORTS = all_imports(LAYER_ROOT, "meetings")
DOMAINS = ("meetings.manager", "meetings.secretary")
CORE = tuple(
    f"meetings.{name}"
    for name in (
        "settings",
        "db",
        "errors",
        "log",
        "identity",
        "api",
        "livekit",
        "storage",
        "constraints",
        "validation",
        "s3_layout",
        "meeting_protocol",
        "embeddings",
        "migrate",
    )
)
# Never in the shipped package: development tooling, the other deployables, tests, and dev-only libraries.
OUTSIDE_THE_LAYER = ("devserver", "agent_container", "functions", "infra", "tests", "bench")
DEV_ONLY_LIBRARIES = ("pgserver", "moto", "uvicorn", "playwright", "pytest", "tqdm")


def within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def service_of(module: str) -> str | None:
    """`manager` or `secretary` for a domain module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in ("manager", "secretary") else None


def violations(rule) -> list[str]:
    return [f"{imp.source}:{imp.line} imports {imp.target}" for imp in IMPORTS if rule(imp)]


def test_core_imports_no_domain():
    assert violations(lambda imp: within(imp.source, CORE) and within(imp.target, DOMAINS)) == []


def test_the_shipped_package_imports_no_dev_tooling_or_other_deployable():
    banned = OUTSIDE_THE_LAYER + DEV_ONLY_LIBRARIES
    assert violations(lambda imp: within(imp.target, banned)) == []


def test_db_needs_no_web_framework():
    web = ("fastapi", "starlette", "mangum")
    assert violations(lambda imp: imp.source == "meetings.db" and within(imp.target, web)) == []


def test_the_backoffice_reaches_meetings_only_through_their_service_functions():
    """manager → secretary only into `service` modules; the billing report is the one reader of secretary
    tables (agent usage per room), and it only reads."""

    def breaks(imp) -> bool:
        if service_of(imp.source) != "manager" or service_of(imp.target) != "secretary":
            return False
        target = known_module(imp.target, set(MODULES)) or imp.target
        if target.endswith(".service"):
            return False
        return not (imp.source.startswith("meetings.manager.usage.") and target.endswith(".models"))

    assert violations(breaks) == []


def test_meetings_read_backoffice_reference_data_but_never_its_routes():
    def breaks(imp) -> bool:
        if service_of(imp.source) != "secretary" or service_of(imp.target) != "manager":
            return False
        target = known_module(imp.target, set(MODULES)) or imp.target
        return target.endswith((".routes", ".app"))

    assert violations(breaks) == []


@pytest.mark.parametrize("service, shared", [("manager", ("meetings.notifications",)), ("secretary", ())])
def test_an_apps_route_groups_name_routes_of_its_own_service(service, shared):
    """A route group names its router's module as a string (decision 0029), which the import graph
    above cannot see: the same rule, read from the groups."""
    from importlib import import_module

    groups = import_module(f"meetings.{service}.app").ROUTE_GROUPS
    outside = [
        group.module
        for group in groups
        if group.module not in MODULES
        or not (service_of(group.module) == service or within(group.module, shared))
    ]
    assert outside == []


def test_no_import_cycle_between_modules():
    modules = set(MODULES)
    graph: dict[str, set[str]] = {}
    for imp in IMPORTS:
        target = known_module(imp.target, modules)
        if target and target != imp.source and not target.endswith("__init__"):
            graph.setdefault(imp.source, set()).add(target)
    # A package's own __init__ is imported with every module in it; it holds a docstring only.
    for module in modules:
        for package in list(graph.get(module, ())):
            if (LAYER_ROOT / package.replace(".", "/") / "__init__.py").exists():
                graph[module].discard(package)
    assert find_cycle(graph) is None


@pytest.mark.parametrize("package", ["layers/core/python/meetings", "devserver", "agent_container"])
def test_package_inits_hold_a_docstring_only(package):
    crowded = []
    for init in sorted((REPO_ROOT / package).rglob("__init__.py")):
        body = ast.parse(init.read_text()).body
        if [
            node for node in body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        ]:
            crowded.append(str(init.relative_to(REPO_ROOT)))
    assert crowded == []


def test_the_agent_composes_layer_services_and_never_mounts_routes():
    agent_imports = all_imports(REPO_ROOT, "agent_container")
    breaks = [
        f"{imp.source}:{imp.line} imports {imp.target}"
        for imp in agent_imports
        if within(imp.target, DOMAINS)
        and (known_module(imp.target, set(MODULES)) or imp.target).endswith((".routes", ".app"))
    ]
    assert breaks == []


def test_nothing_but_development_tooling_imports_devserver():
    users = []
    for package in ("agent_container", "functions", "infra"):
        users += [
            f"{imp.source}:{imp.line}"
            for imp in all_imports(REPO_ROOT, package)
            if within(imp.target, ("devserver",))
        ]
    assert users == []


def test_the_cycle_finder_reports_a_cycle_it_is_given():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None
