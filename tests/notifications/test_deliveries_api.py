"""The delivery log, replay, and another entity's ids on every webhook route (404, as if missing)."""

import uuid

import pytest

from meetings.notifications.catalogue import EventType
from meetings.notifications.dispatch import dispatch_due
from meetings.notifications.models import WebhookEndpoint
from meetings.notifications.outbox import emit
from tests.notifications.conftest import make_endpoint
from tests.notifications.receiver import Answer

MISSING = 987_654
MISSING_UUID = str(uuid.UUID(int=1))


@pytest.fixture
def client(api):
    from meetings.manager.app import app

    return api(app)


def base(entity_id, endpoint_id) -> str:
    return f"/v1/entities/{entity_id}/webhook-endpoints/{endpoint_id}"


def queue(db, entity, room_id: str) -> None:
    emit(db=db, entity_id=entity.id, type=EventType.ROOM_ENDED, data={"room_id": room_id})


def test_the_log_pages_through_deliveries_with_their_attempts(
    db, client, clinic, endpoint, receiver, auth_headers
):
    receiver.answers = [Answer(500)]
    for room in ("a", "b", "c"):
        queue(db, clinic.entity, room)
    dispatch_due(db=db, workers=1)
    headers = auth_headers(clinic.admin)

    first = client.get(base(clinic.entity.id, endpoint.id) + "/deliveries?limit=2", headers=headers).json()
    second = client.get(
        base(clinic.entity.id, endpoint.id) + "/deliveries?limit=2&offset=2", headers=headers
    ).json()
    failed = client.get(
        base(clinic.entity.id, endpoint.id) + "/deliveries?status=PENDING", headers=headers
    ).json()

    assert (first["total"], len(first["items"]), len(second["items"])) == (3, 2, 1)
    items = first["items"] + second["items"]
    assert len({item["id"] for item in items}) == 3
    assert {item["event_type"] for item in items} == {"room.ended"}
    assert sorted(item["status"] for item in items) == ["PENDING", "SUCCEEDED", "SUCCEEDED"]
    [pending] = failed["items"]
    assert pending["next_attempt_at"] is not None and pending["attempts"] == 1
    [attempt] = pending["attempt_log"]
    assert (attempt["succeeded"], attempt["response_status"], attempt["error"]) == (False, 500, "http_500")
    assert attempt["duration_ms"] >= 0 and pending["webhook_id"].startswith("msg_")


def test_replay_sends_the_same_message_again(db, client, clinic, endpoint, receiver, auth_headers):
    queue(db, clinic.entity, "a")
    dispatch_due(db=db)
    headers = auth_headers(clinic.admin)
    [delivered] = client.get(base(clinic.entity.id, endpoint.id) + "/deliveries", headers=headers).json()[
        "items"
    ]

    replay = client.post(
        base(clinic.entity.id, endpoint.id) + f"/deliveries/{delivered['id']}/replay", headers=headers
    )
    assert replay.status_code == 202, replay.text
    assert (replay.json()["status"], replay.json()["replay_of"]) == ("PENDING", delivered["id"])
    assert dispatch_due(db=db).succeeded == 1

    original, again = receiver.wait_for(2)
    assert original.webhook_id == again.webhook_id == delivered["webhook_id"]
    assert again.verify(endpoint.secret) == original.verify(endpoint.secret)
    log = client.get(base(clinic.entity.id, endpoint.id) + "/deliveries", headers=headers).json()
    assert log["total"] == 2 and {item["status"] for item in log["items"]} == {"SUCCEEDED"}


def test_replay_to_a_disabled_endpoint_is_a_conflict(db, client, clinic, endpoint, auth_headers):
    queue(db, clinic.entity, "a")
    headers = auth_headers(clinic.admin)
    [delivery] = client.get(base(clinic.entity.id, endpoint.id) + "/deliveries", headers=headers).json()[
        "items"
    ]
    client.patch(base(clinic.entity.id, endpoint.id), json={"enabled": False}, headers=headers)

    answer = client.post(
        base(clinic.entity.id, endpoint.id) + f"/deliveries/{delivery['id']}/replay", headers=headers
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "webhook_endpoint_disabled")
    log = client.get(base(clinic.entity.id, endpoint.id) + "/deliveries", headers=headers).json()
    assert [item["status"] for item in log["items"]] == ["CANCELED"]  # disabling canceled the queue


@pytest.mark.parametrize(
    "suffix, expected",
    [
        ("/deliveries?limit=0", "greater_than_equal"),
        ("/deliveries?limit=201", "less_than_equal"),
        ("/deliveries?status=LOST", "literal_error"),
        ("/deliveries/not-a-uuid/replay", "uuid_parsing"),
    ],
)
def test_bad_log_queries_are_422(client, clinic, endpoint, auth_headers, suffix, expected):
    method = "post" if suffix.endswith("replay") else "get"
    answer = client.request(
        method, base(clinic.entity.id, endpoint.id) + suffix, headers=auth_headers(clinic.admin)
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["code"] == expected


# (method, path, body): {entity}, {endpoint}, {delivery} are entity A's ids, or missing ones for the reference.
ROUTES = [
    ("get", "/v1/entities/{entity}/webhook-endpoints", None),
    (
        "post",
        "/v1/entities/{entity}/webhook-endpoints",
        {"url": "https://x.example.com", "event_types": ["room.started"]},
    ),
    ("get", "/v1/entities/{entity}/webhook-endpoints/{endpoint}", None),
    ("patch", "/v1/entities/{entity}/webhook-endpoints/{endpoint}", {"enabled": False}),
    ("delete", "/v1/entities/{entity}/webhook-endpoints/{endpoint}", None),
    ("post", "/v1/entities/{entity}/webhook-endpoints/{endpoint}/rotate-secret", None),
    ("get", "/v1/entities/{entity}/webhook-endpoints/{endpoint}/deliveries", None),
    ("post", "/v1/entities/{entity}/webhook-endpoints/{endpoint}/deliveries/{delivery}/replay", None),
    # B's own entity in the path with A's endpoint, or B's own endpoint with A's delivery.
    ("get", "/v1/entities/{own_entity}/webhook-endpoints/{endpoint}", None),
    ("patch", "/v1/entities/{own_entity}/webhook-endpoints/{endpoint}", {"enabled": False}),
    ("delete", "/v1/entities/{own_entity}/webhook-endpoints/{endpoint}", None),
    ("post", "/v1/entities/{own_entity}/webhook-endpoints/{endpoint}/rotate-secret", None),
    ("get", "/v1/entities/{own_entity}/webhook-endpoints/{endpoint}/deliveries", None),
    ("post", "/v1/entities/{own_entity}/webhook-endpoints/{own_endpoint}/deliveries/{delivery}/replay", None),
]


@pytest.fixture
def world(db, clinic, other_clinic, endpoint):
    queue(db, clinic.entity, "a")
    from sqlalchemy import select

    from meetings.notifications.models import WebhookDelivery

    delivery = db.execute(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    ).scalar_one()
    own_endpoint = make_endpoint(db, other_clinic.entity, "https://b.example.com/hooks")
    ids_a = {
        "entity": clinic.entity.id,
        "endpoint": endpoint.id,
        "delivery": str(delivery.id),
        "own_entity": other_clinic.entity.id,
        "own_endpoint": own_endpoint.id,
    }
    missing = {**ids_a, "entity": MISSING, "endpoint": MISSING, "delivery": MISSING_UUID}
    return ids_a, missing


@pytest.mark.parametrize(("method", "route", "body"), ROUTES, ids=[f"{m} {r}" for m, r, _ in ROUTES])
def test_another_entitys_ids_read_as_missing(
    client, db, other_clinic, world, auth_headers, method, route, body
):
    ids_a, missing = world
    headers = auth_headers(other_clinic.admin)

    reference = client.request(method, route.format(**missing), json=body, headers=headers)
    answer = client.request(method, route.format(**ids_a), json=body, headers=headers)

    assert reference.status_code == 404, reference.text
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, reference.json()["error"]["code"])


def test_nothing_of_another_entity_changes(client, db, clinic, other_clinic, world, auth_headers):
    ids_a, _ = world
    endpoint = db.get(WebhookEndpoint, ids_a["endpoint"])
    secret = endpoint.secret
    headers = auth_headers(other_clinic.admin)
    for method, route, body in ROUTES:
        if method != "get":
            client.request(method, route.format(**ids_a), json=body, headers=headers)
    db.expire_all()
    endpoint = db.get(WebhookEndpoint, ids_a["endpoint"])
    assert endpoint is not None and endpoint.enabled and endpoint.secret == secret
    mine = client.get(
        f"/v1/entities/{clinic.entity.id}/webhook-endpoints", headers=auth_headers(clinic.admin)
    )
    assert [item["id"] for item in mine.json()["items"]] == [ids_a["endpoint"]]
    log = client.get(base(clinic.entity.id, endpoint.id) + "/deliveries", headers=auth_headers(clinic.admin))
    assert log.json()["total"] == 1
