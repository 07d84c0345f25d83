"""Property-based requests over each app's /openapi.json, as a MANAGER, an ENTITY_ADMIN and anonymously.

Every answer must be documented: no 5xx, a status the operation lists, its content type and its schema.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup

from tests.fuzz.conftest import FUZZ_EXAMPLES, SURVEY, TALLY

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
]


def load(app):
    config = SchemathesisConfig.from_dict(
        {
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True},
            },
            "generation": {"max-examples": FUZZ_EXAMPLES, "with-security-parameters": False},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


def _manager_app():
    from meetings.manager.app import app

    return app


def _secretary_app():
    from meetings.secretary.app import app

    return app


def _webhook_app():
    from meetings.secretary.webhooks.app import app

    return app


manager_schema = load(_manager_app())
secretary_schema = load(_secretary_app())
webhook_schema = load(_webhook_app())

FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    print_blob=False,
)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def accepted_by_design(failure, case) -> bool:
    """Bodies strip surrounding whitespace before their length is checked: a value one space too long
    for the schema's maxLength is accepted on purpose."""
    return (
        type(failure).__name__ == "AcceptedNegativeData"
        and "Length`" in str(failure.message)
        and any(text != text.strip() for text in _strings(case.body))
    )


def validate(case, response, validate_response) -> None:
    try:
        validate_response()
    except FailureGroup as group:
        real = [failure for failure in group.exceptions if not accepted_by_design(failure, case)]
        for failure in real:
            TALLY[f"failure {type(failure).__name__}: {case.operation.label}"] += 1
        if real:
            raise


def call_and_check(case, headers: dict[str, str]) -> None:
    phase = case.meta.phase.name.value if case.meta else "?"
    TALLY[f"cases {phase}"] += 1
    merged = {**(case.headers or {}), **headers}
    try:
        response = case.call(headers=merged)
        validate(case, response, lambda: case.validate_response(response, headers=merged))
    except FailureGroup:
        if not SURVEY:
            raise
        return
    except Exception as exc:  # the test client re-raises what the app answered as a 500
        TALLY[f"failure ServerError {type(exc).__name__}: {case.operation.label}"] += 1
        if not SURVEY:
            raise
        return
    TALLY[f"status {response.status_code}"] += 1


@pytest.fixture
def manager_client(api):
    return api(_manager_app())


@pytest.fixture
def secretary_client(api, livekit_server):
    return api(_secretary_app())


@pytest.fixture
def webhook_client(api, livekit_server):
    return api(_webhook_app())


@manager_schema.parametrize()
@FUZZ_SETTINGS
def test_manager_api(case, caller, manager_client):
    call_and_check(case, caller)


@secretary_schema.parametrize()
@FUZZ_SETTINGS
def test_secretary_api(case, caller, secretary_client):
    call_and_check(case, caller)


@webhook_schema.parametrize()
@FUZZ_SETTINGS
def test_webhook_api(case, webhook_client):
    call_and_check(case, {})


def run_workflow(schema, headers: dict[str, str], db) -> None:
    """Chains operations through the links inferred from the schema (create, then read, change, delete).

    Each scenario starts from the same rows: what one wrote is rolled back before the next.
    """

    class Workflow(schema.as_state_machine()):
        def setup(self):
            self.scenario = db.connection().begin_nested()

        def teardown(self):
            self.scenario.rollback()
            db.expire_all()

        def get_call_kwargs(self, case):
            return {"headers": {**(case.headers or {}), **headers}}

        def call(self, case, **kwargs):
            TALLY["cases stateful"] += 1
            try:
                return case.call(**kwargs)
            except Exception as exc:
                TALLY[f"failure ServerError {type(exc).__name__}: {case.operation.label}"] += 1
                raise

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            TALLY[f"status {response.status_code}"] += 1
            validate(
                case,
                response,
                lambda: super(Workflow, self).validate_response(
                    response, case, additional_checks=additional_checks, **kwargs
                ),
            )

    Workflow.run(
        settings=settings(
            max_examples=FUZZ_EXAMPLES * 2,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )


@pytest.mark.parametrize("role", ["manager", "entity_admin"])
def test_manager_api_workflows(role, db, world, auth_headers, manager_client):
    run_workflow(manager_schema, auth_headers(world.manager if role == "manager" else world.admin), db)


@pytest.mark.parametrize("role", ["manager", "entity_admin"])
def test_secretary_api_workflows(role, db, world, auth_headers, secretary_client):
    run_workflow(secretary_schema, auth_headers(world.manager if role == "manager" else world.admin), db)
