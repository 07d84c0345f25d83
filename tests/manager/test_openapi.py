"""Every manager endpoint documents its summary, response schema and request examples."""

from meetings.manager.app import app

MANAGER_PREFIXES = (
    "/v1/auth",
    "/v1/users",
    "/v1/entities",
    "/v1/departments",
    "/v1/professionals",
    "/v1/usage",
)


def operations():
    spec = app.openapi()
    for path, methods in spec["paths"].items():
        if path.startswith(MANAGER_PREFIXES) and "knowledge-base" not in path:
            for method, operation in methods.items():
                yield spec, f"{method.upper()} {path}", operation


def resolve(spec, schema: dict) -> dict:
    if "$ref" in schema:
        return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_every_operation_has_a_summary_a_response_schema_and_request_examples():
    seen = []
    for spec, name, operation in operations():
        seen.append(name)
        assert operation.get("summary"), name
        success = next(code for code in operation["responses"] if code.startswith("2"))
        assert operation["responses"][success]["content"]["application/json"]["schema"], name
        body = operation.get("requestBody")
        if body:
            schema = resolve(spec, body["content"]["application/json"]["schema"])
            assert schema.get("examples"), name
    assert len(seen) == 45  # with the three consent-text and six note-template operations
