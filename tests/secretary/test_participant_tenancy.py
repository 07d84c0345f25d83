"""Participants belong to a tenant: what find-or-create may find, who may change a shared row, external
ids per entity, the checks a found professional goes through, and one AGENT participant per entity."""

from meetings.identity.principal import Principal
from meetings.identity.roles import UserRole
from meetings.secretary.participants import service
from meetings.secretary.participants.models import Participant, ParticipantType
from tests.factories import (
    link_professional,
    make_entity,
    make_participant,
    make_professional,
    make_room,
    phone,
)
from tests.secretary.helpers import add_to_room


def add_inline(client, headers, room, **participant):
    body = {"name": "New Client", "type": "CLIENT", "phone_number": phone(), **participant}
    return client.post(f"/v1/rooms/{room.id}/participants", json={"participant": body}, headers=headers)


def test_a_row_shared_by_several_entities_rooms_cannot_be_changed_by_one_of_them(
    client, auth_headers, admin, entity, db
):
    shared = make_participant(db, name="Shared Person", entity_id=entity.id)
    add_to_room(db, make_room(db, entity=entity), shared)
    add_to_room(db, make_room(db, entity=make_entity(db)), shared)
    headers = auth_headers(admin)

    renamed = client.patch(f"/v1/participants/{shared.id}", json={"name": "Taken over"}, headers=headers)
    deleted = client.delete(f"/v1/participants/{shared.id}", headers=headers)

    assert (renamed.status_code, renamed.json()["error"]["code"]) == (403, "participant_shared")
    assert (deleted.status_code, deleted.json()["error"]["code"]) == (403, "participant_shared")
    db.refresh(shared)
    assert shared.name == "Shared Person"


def test_the_agent_row_every_room_shared_cannot_be_renamed_by_a_tenant(
    client, auth_headers, admin, entity, db
):
    legacy_agent = make_participant(db, type=ParticipantType.AGENT, name="Assistant")  # no owner
    add_to_room(db, make_room(db, entity=entity), legacy_agent)
    answer = client.patch(
        f"/v1/participants/{legacy_agent.id}", json={"name": "Evil"}, headers=auth_headers(admin)
    )
    assert answer.status_code == 403


def test_a_professional_linked_to_another_entity_cannot_be_changed_by_one_of_them(
    client, auth_headers, admin, entity, db
):
    professional = make_professional(db)
    link_professional(db, professional, entity)
    link_professional(db, professional, make_entity(db))
    doctor = make_participant(
        db, type=ParticipantType.PROFESSIONAL, professional_id=professional.id, entity_id=entity.id
    )
    answer = client.patch(
        f"/v1/participants/{doctor.id}", json={"email": "x@evil.example"}, headers=auth_headers(admin)
    )
    assert answer.status_code == 403


def test_an_entitys_own_participant_can_still_be_changed(client, auth_headers, admin, entity, db):
    mine = add_to_room(db, make_room(db, entity=entity)).participant_id
    answer = client.patch(
        f"/v1/participants/{mine}", json={"name": "Fixed Name"}, headers=auth_headers(admin)
    )
    assert answer.status_code == 200 and answer.json()["name"] == "Fixed Name"


def test_external_ids_are_unique_per_entity(client, auth_headers, admin, other_admin, entity, db):
    headers = auth_headers(admin)
    first = add_inline(client, headers, make_room(db, entity=entity), external_id="crm-1")
    second = add_inline(client, headers, make_room(db, entity=entity), external_id="crm-2")
    clash = client.patch(
        f"/v1/participants/{second.json()['participant_id']}", json={"external_id": "crm-1"}, headers=headers
    )
    elsewhere = add_inline(
        client,
        auth_headers(other_admin),
        make_room(db, entity=db.get(type(entity), other_admin.entity_id)),
        external_id="crm-1",
    )
    assert first.status_code == second.status_code == elsewhere.status_code == 201
    assert (clash.status_code, clash.json()["error"]["code"]) == (409, "external_id_taken")
    assert elsewhere.json()["participant_id"] != first.json()["participant_id"]


def test_inline_clients_are_created_in_the_rooms_entity(client, auth_headers, manager, entity, db):
    answer = add_inline(client, auth_headers(manager), make_room(db, entity=entity))
    assert db.get(Participant, answer.json()["participant_id"]).entity_id == entity.id


def test_a_found_professional_goes_through_the_professional_checks(client, auth_headers, admin, entity, db):
    professional = make_professional(db)
    link_professional(db, professional, entity)
    doctor = make_participant(
        db, type=ParticipantType.PROFESSIONAL, professional_id=professional.id, entity_id=entity.id
    )
    room = make_room(db, entity=entity)
    professional.active = False
    db.flush()
    answer = add_inline(
        client,
        auth_headers(admin),
        room,
        type="PROFESSIONAL",
        phone_number=doctor.phone_number,
        professional_id=professional.id,
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (422, "invalid_professional")


def test_a_professional_is_found_by_their_professional_not_by_a_phone(
    client, auth_headers, admin, entity, db
):
    mine, theirs = make_professional(db), make_professional(db)
    link_professional(db, mine, entity)
    other = make_entity(db)
    link_professional(db, theirs, other)
    their_doctor = make_participant(
        db, type=ParticipantType.PROFESSIONAL, professional_id=theirs.id, entity_id=other.id
    )
    answer = add_inline(
        client,
        auth_headers(admin),
        make_room(db, entity=entity),
        type="PROFESSIONAL",
        phone_number=their_doctor.phone_number,
        professional_id=mine.id,
    )
    assert answer.status_code == 201, answer.text
    found = answer.json()["participant"]
    assert found["id"] != their_doctor.id and found["professional_id"] == mine.id


def test_each_entity_has_its_own_agent_participant(db):
    first, second = make_entity(db), make_entity(db)
    agents = [
        service.find_or_create_agent_participant(
            db=db, entity_id=e.id, name="Assistant", phone_number="+10000000000"
        )
        for e in (first, second, first)
    ]
    assert agents[0].id == agents[2].id != agents[1].id
    assert (agents[0].entity_id, agents[1].entity_id) == (first.id, second.id)


def test_participant_roles_come_from_the_database_for_the_rooms_members_only(db, entity):
    room = make_room(db, entity=entity)
    client_row = add_to_room(db, room).participant_id
    outsider = make_participant(
        db, type=ParticipantType.PROFESSIONAL, professional_id=make_professional(db).id
    )
    roles = service.participant_roles(db=db, room_id=room.id, participant_ids=[client_row, outsider.id])
    assert roles == {client_row: service.RoomRole(type=ParticipantType.CLIENT, is_organizer=False)}


def test_a_managers_directory_row_belongs_to_no_entity(db):
    manager = Principal(user_id=1, role=UserRole.MANAGER, entity_id=None)
    from meetings.secretary.participants.schemas import ParticipantCreate

    row = service.create_participant(
        db=db, principal=manager, data=ParticipantCreate(name="A", type="CLIENT", phone_number=phone())
    )
    assert row.entity_id is None
