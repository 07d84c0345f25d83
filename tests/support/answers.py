"""Reading the API's error answers in tests."""


def field_codes(response) -> dict[str, str]:
    """{field: code} of a 422 answer."""
    assert response.status_code == 422, response.text
    return {detail["field"]: detail["code"] for detail in response.json()["error"]["details"]}


def error_code(response) -> str:
    return response.json()["error"]["code"]
