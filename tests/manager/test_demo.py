"""The backoffice demo data: seeded once, then found again; its logins work."""

from devserver.demo import backoffice as demo
from meetings.manager.professionals.models import ProfessionalEntity


def test_seed_once_then_reuse(client, db):
    passwords = iter(["first demo password", "second demo password"])
    context = {"password_factory": lambda: next(passwords)}

    lines = demo.seed(db, context)
    again = {"password_factory": lambda: "unused"}

    assert any(demo.DEMO_MANAGER_EMAIL in line for line in lines)
    assert demo.seed(db, again) == []
    assert {key: again[key] for key in ("entity_id", "department_id", "professional_id")} == {
        key: context[key] for key in ("entity_id", "department_id", "professional_id")
    }
    link = db.query(ProfessionalEntity).filter_by(professional_id=context["professional_id"]).one()
    assert (link.entity_id, link.department_id) == (context["entity_id"], context["department_id"])

    manager = client.post(
        "/v1/auth/login", json={"email": demo.DEMO_MANAGER_EMAIL, "password": "first demo password"}
    )
    admin = client.post(
        "/v1/auth/login", json={"email": demo.DEMO_ENTITY_ADMIN_EMAIL, "password": "second demo password"}
    )
    assert manager.json()["user"]["role"] == "MANAGER"
    assert admin.json()["user"]["entity_id"] == context["entity_id"]
