"""An ENTITY_ADMIN of entity B walks every manager endpoint with entity A's ids: each answer is the
404 a missing id gets (never 403), nothing changes, and A's rows never show in B's lists."""

import pytest

from tests.factories import link_professional, make_professional
from tests.support.answers import error_code

MISSING = 987_654

# (method, path, body): {placeholders} are entity A's ids, or MISSING for the reference answer.
ENDPOINTS = [
    ("get", "/v1/users/{user}", None),
    ("patch", "/v1/users/{user}", {"phone_number": "+5511900001111"}),
    ("delete", "/v1/users/{user}", None),
    ("post", "/v1/users/{user}/password-reset", None),
    (
        "post",
        "/v1/users",
        {
            "email": "x@example.com",
            "password": "long enough",
            "phone_number": "+5511900001111",
            "role": "ENTITY_ADMIN",
            "entity_id": "{entity}",
        },
    ),
    ("get", "/v1/entities/{entity}", None),
    ("patch", "/v1/entities/{entity}", {"max_participants": 3}),
    ("delete", "/v1/entities/{entity}", None),
    ("get", "/v1/entities/{entity}/departments", None),
    ("post", "/v1/entities/{entity}/departments", {"name": "Intruders"}),
    ("get", "/v1/departments/{department}", None),
    ("patch", "/v1/departments/{department}", {"name": "Renamed"}),
    ("delete", "/v1/departments/{department}", None),
    ("get", "/v1/professionals/{professional}", None),
    ("patch", "/v1/professionals/{professional}", {"name": "Renamed"}),
    ("delete", "/v1/professionals/{professional}", None),
    ("get", "/v1/professionals/{professional}/entities", None),
    ("post", "/v1/professionals/{professional}/entities", {"entity_id": "{entity}"}),
    ("delete", "/v1/professionals/{professional}/entities/{link}", None),
    # B's own shared professional, pointed at A's entity or at A's link of that professional.
    ("post", "/v1/professionals/{shared}/entities", {"entity_id": "{entity}"}),
    ("delete", "/v1/professionals/{shared}/entities/{shared_link}", None),
    ("get", "/v1/usage?entity_id={entity}", None),
]


def fill(template, ids: dict):
    if isinstance(template, str):
        if template.startswith("{") and template.endswith("}") and template.count("{") == 1:
            return ids[template[1:-1]]
        return template.format(**ids)
    if isinstance(template, dict):
        return {key: fill(value, ids) for key, value in template.items()}
    return template


@pytest.fixture
def world(db, clinic, other_clinic):
    professional = make_professional(db)
    shared = make_professional(db)
    ids_a = {
        "user": clinic.admin.id,
        "entity": clinic.entity.id,
        "department": clinic.department.id,
        "professional": professional.id,
        "link": link_professional(db, professional, clinic.entity, clinic.department).id,
        "shared": shared.id,
        "shared_link": link_professional(db, shared, clinic.entity).id,
    }
    link_professional(db, shared, other_clinic.entity)
    missing = {key: MISSING for key in ids_a} | {"shared": shared.id}
    return ids_a, missing


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_another_tenants_ids_read_as_missing(
    client, db, other_clinic, world, auth_headers, method, path, body
):
    ids_a, missing = world
    headers = auth_headers(other_clinic.admin)

    reference = client.request(method, fill(path, missing), json=fill(body, missing), headers=headers)
    response = client.request(method, fill(path, ids_a), json=fill(body, ids_a), headers=headers)

    assert reference.status_code == 404, reference.text
    assert (response.status_code, error_code(response)) == (404, error_code(reference)), response.text


def test_nothing_of_another_tenant_changes(client, db, clinic, other_clinic, world, auth_headers):
    ids_a, _ = world
    headers = auth_headers(other_clinic.admin)
    for method, path, body in ENDPOINTS:
        if method != "get":
            client.request(method, fill(path, ids_a), json=fill(body, ids_a), headers=headers)
    db.expire_all()
    assert clinic.entity.active and clinic.department.active and clinic.admin.active
    assert clinic.entity.max_participants != 3 and clinic.department.name != "Renamed"
    links = client.get(
        f"/v1/professionals/{ids_a['professional']}/entities", headers=auth_headers(clinic.admin)
    ).json()
    assert [link["active"] for link in links["items"]] == [True]


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/v1/users?limit=200", "user"),
        ("/v1/users?limit=200&entity_id={entity}", "user"),
        ("/v1/entities?limit=200", "entity"),
        ("/v1/professionals?limit=200", "professional"),
        ("/v1/professionals?limit=200&entity_id={entity}", "shared"),
        ("/v1/professionals/{shared}/entities", "shared_link"),
    ],
)
def test_another_tenants_rows_never_appear_in_lists(client, other_clinic, world, auth_headers, path, key):
    ids_a, _ = world
    response = client.get(fill(path, ids_a), headers=auth_headers(other_clinic.admin))
    assert response.status_code == 200
    assert ids_a[key] not in {item["id"] for item in response.json()["items"]}


def test_another_tenants_department_in_a_link_reads_like_a_missing_one(
    client, db, clinic, other_clinic, auth_headers
):
    professional = make_professional(db)
    link_professional(db, professional, other_clinic.entity)
    path = f"/v1/professionals/{professional.id}/entities"
    headers = auth_headers(other_clinic.admin)

    foreign = client.post(
        path,
        json={"entity_id": other_clinic.entity.id, "department_id": clinic.department.id},
        headers=headers,
    )
    missing = client.post(
        path, json={"entity_id": other_clinic.entity.id, "department_id": MISSING}, headers=headers
    )

    assert foreign.status_code == missing.status_code == 422
    assert foreign.json()["error"]["details"] == missing.json()["error"]["details"]


# (method, path, body): {own_*} are the intruder's rows; {value} is entity A's value, or a free one.
BODY_VALUES = [
    (
        "post",
        "/v1/professionals",
        {"name": "Dr. New", "phone_number": "+5511900002222", "external_id": "{value}"},
    ),
    ("patch", "/v1/professionals/{own_professional}", {"external_id": "{value}"}),
    ("patch", "/v1/entities/{own_entity}", {"name": "{entity_name}"}),
    ("post", "/v1/entities/{own_entity}/departments", {"name": "{department_name}"}),
]


@pytest.mark.parametrize(("method", "path", "body"), BODY_VALUES, ids=[f"{m} {p}" for m, p, _ in BODY_VALUES])
def test_values_another_tenant_uses_are_answered_like_free_ones(
    client, db, clinic, other_clinic, auth_headers, method, path, body
):
    taken = make_professional(db, external_id="crm-taken-by-a")
    link_professional(db, taken, clinic.entity)
    headers = auth_headers(other_clinic.admin)
    answers = []
    for values in (
        {
            "value": "crm-taken-by-a",
            "entity_name": clinic.entity.name,
            "department_name": clinic.department.name,
        },
        {"value": "crm-free", "entity_name": "A Free Name", "department_name": "A Free Department"},
    ):
        own = make_professional(db)
        link_professional(db, own, other_clinic.entity)
        ids = {**values, "own_professional": own.id, "own_entity": other_clinic.entity.id}
        answers.append(client.request(method, fill(path, ids), json=fill(body, ids), headers=headers))
    theirs, free = answers
    assert theirs.status_code == free.status_code, (theirs.text, free.text)
    if theirs.status_code >= 400:
        assert theirs.json()["error"] == free.json()["error"]
