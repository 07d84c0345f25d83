"""/v1/rooms/{room_id}/note: reading, editing, signing, amending and versions; who may do what, bad
inputs, and another organization's rooms (404)."""

import hashlib
import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from meetings.identity.roles import UserRole
from meetings.secretary.events.models import RoomEvent
from meetings.secretary.notes.signing import signed_content
from tests.factories import link_professional, make_entity, make_professional, make_user
from tests.support.answers import error_code


def note_url(room, path: str = "") -> str:
    return f"/v1/rooms/{room.id}/note{path}"


def statement_ids(body: dict, key: str) -> list[str]:
    return [s["id"] for s in next(s for s in body["sections"] if s["key"] == key)["statements"]]


def events_of(db, room) -> list[str]:
    return db.scalars(
        select(RoomEvent.event_name).where(RoomEvent.room_id == room.id).order_by(RoomEvent.id)
    ).all()


def test_the_draft_reads_with_sections_statements_and_evidence(client, auth_headers, clinic_admin, drafted):
    room, segments, _ = drafted

    answer = client.get(note_url(room), headers=auth_headers(clinic_admin))

    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "draft" and body["version"] == 1 and body["kind"] == "progress_note"
    plan = next(s for s in body["sections"] if s["key"] == "plan")
    assert plan["title"] == "Plan" and plan["statements"][0]["evidence"] == [segments["plan"].id]
    assert plan["statements"][0]["support"] == "supported"


def test_a_pending_note_reads_as_pending(client, auth_headers, clinic_admin, visit):
    room, _, _ = visit
    assert client.get(note_url(room), headers=auth_headers(clinic_admin)).json()["status"] == "pending"


def test_editing_keeps_evidence_marks_changes_adds_and_removes(
    db, client, auth_headers, clinic_admin, drafted
):
    room, segments, _ = drafted
    headers = auth_headers(clinic_admin)
    before = client.get(note_url(room), headers=headers).json()
    kept, removed = statement_ids(before, "plan")
    untouched = statement_ids(before, "subjective")

    answer = client.patch(
        note_url(room),
        headers=headers,
        json={
            "sections": [
                {
                    "key": "plan",
                    "statements": [
                        {"id": kept, "text": "Ibuprofen 400 mg every eight hours for five days, with food."},
                        {"text": "Chest X-ray if not better.", "evidence": [segments["fever"].id]},
                    ],
                }
            ]
        },
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    edited, added = next(s for s in body["sections"] if s["key"] == "plan")["statements"]
    assert (
        edited["id"] == kept and edited["support"] == "edited" and edited["evidence"] == [segments["plan"].id]
    )
    assert added["support"] == "added" and added["evidence"] == [segments["fever"].id]
    assert removed not in statement_ids(body, "plan")
    assert statement_ids(body, "subjective") == untouched
    assert events_of(db, room)[-1] == "NOTE_EDITED"


@pytest.mark.parametrize(
    ("edit", "status", "code"),
    [
        ({"sections": [{"key": "history", "statements": []}]}, 422, "unknown_section"),
        (
            {"sections": [{"key": "plan", "statements": [{"id": "nope", "text": "x"}]}]},
            422,
            "unknown_statement",
        ),
        ({"sections": []}, 422, "validation_failed"),
        ({"sections": [{"key": "plan", "statements": [{"text": ""}]}]}, 422, "validation_failed"),
        (
            {"sections": [{"key": "plan", "statements": [{"text": "x", "evidence": [0]}]}]},
            422,
            "validation_failed",
        ),
        (
            {"sections": [{"key": "plan", "statements": [{"text": "x", "extra": 1}]}]},
            422,
            "validation_failed",
        ),
        ({"sections": [{"key": "plan", "statements": [{"text": "x" * 2001}]}]}, 422, "validation_failed"),
    ],
)
def test_bad_edits_are_refused_and_change_nothing(
    db, client, auth_headers, clinic_admin, drafted, edit, status, code
):
    room, _, note = drafted
    before = json.dumps(note.sections, sort_keys=True)

    answer = client.patch(note_url(room), headers=auth_headers(clinic_admin), json=edit)

    assert answer.status_code == status and error_code(answer) == code
    db.refresh(note)
    assert json.dumps(note.sections, sort_keys=True) == before


def test_a_statement_may_appear_only_once_and_moves_when_both_sections_are_sent(
    client, auth_headers, clinic_admin, drafted
):
    room, _, _ = drafted
    headers = auth_headers(clinic_admin)
    body = client.get(note_url(room), headers=headers).json()
    first, second = statement_ids(body, "subjective")
    text = {"text": "Moved."}

    twice = client.patch(
        note_url(room),
        headers=headers,
        json={"sections": [{"key": "plan", "statements": [{"id": first, **text}, {"id": first, **text}]}]},
    )
    left_behind = client.patch(
        note_url(room),
        headers=headers,
        json={"sections": [{"key": "plan", "statements": [{"id": first, **text}]}]},
    )
    moved = client.patch(
        note_url(room),
        headers=headers,
        json={
            "sections": [
                {
                    "key": "subjective",
                    "statements": [{"id": second, "text": "Chest pain when coughing; no fever."}],
                },
                {"key": "plan", "statements": [{"id": first, **text}]},
            ]
        },
    )

    assert twice.status_code == 422 and error_code(twice) == "duplicate_statement"
    assert left_behind.status_code == 422 and error_code(left_behind) == "duplicate_statement"
    assert moved.status_code == 200 and statement_ids(moved.json(), "plan") == [first]
    assert client.get(note_url(room, "/fhir"), headers=headers).status_code == 200


def test_evidence_must_be_a_segment_of_this_room(db, client, auth_headers, clinic_admin, drafted):
    from tests.factories import make_room

    room, _, _ = drafted
    other = make_room(db, clinic_admin and make_entity(db))
    from meetings.secretary.transcripts.service import record_transcript_segment
    from tests.factories import make_participant
    from tests.support.roles import as_harness

    person = make_participant(db)
    with as_harness(db):
        foreign = record_transcript_segment(
            db=db,
            room_id=other.id,
            participant_id=person.id,
            speaker_name="X",
            speaker_type=person.type,
            start_seconds=0,
            end_seconds=1,
            text="hello",
        )
    edit = {"sections": [{"key": "plan", "statements": [{"text": "x", "evidence": [foreign.id]}]}]}

    answer = client.patch(note_url(room), headers=auth_headers(clinic_admin), json=edit)

    assert answer.status_code == 422 and error_code(answer) == "evidence_not_in_room"


@pytest.mark.parametrize("line", ["relative", "agent"])
def test_an_edit_cannot_cite_a_line_the_consent_does_not_cover(
    db, client, auth_headers, clinic_admin, drafted, line
):
    """The relative refused the assistant, and the agent's own speech is not the visit's content: an edit
    may cite neither, as the drafting job never does."""
    room, segments, note = drafted
    edit = {"sections": [{"key": "plan", "statements": [{"text": "x", "evidence": [segments[line].id]}]}]}

    answer = client.patch(note_url(room), headers=auth_headers(clinic_admin), json=edit)

    assert answer.status_code == 422 and error_code(answer) == "evidence_not_in_room"
    assert answer.json()["error"]["details"]["segment_ids"] == [segments[line].id]
    db.refresh(note)
    assert all(
        segments[line].id not in statement["evidence"]
        for section in note.sections
        for statement in section["statements"]
    )


def test_signing_pins_signer_time_and_a_hash_of_the_content(db, client, auth_headers, clinic_admin, drafted):
    room, _, note = drafted

    answer = client.post(note_url(room, "/sign"), headers=auth_headers(clinic_admin))

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "signed" and body["signer_email"] == clinic_admin.email
    assert body["signed_by"] == clinic_admin.id and body["signed_at"] is not None
    db.refresh(note)
    canonical = json.dumps(signed_content(note), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert body["content_hash"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert events_of(db, room)[-1] == "NOTE_SIGNED"


def test_a_signed_note_cannot_be_edited_or_signed_again(client, auth_headers, clinic_admin, drafted):
    room, _, _ = drafted
    headers = auth_headers(clinic_admin)
    client.post(note_url(room, "/sign"), headers=headers)

    edit = client.patch(
        note_url(room), headers=headers, json={"sections": [{"key": "plan", "statements": []}]}
    )
    again = client.post(note_url(room, "/sign"), headers=headers)

    assert edit.status_code == 409 and error_code(edit) == "note_not_editable"
    assert again.status_code == 409 and error_code(again) == "note_already_signed"


def test_the_database_refuses_to_change_signed_content(db, client, auth_headers, clinic_admin, drafted):
    room, _, note = drafted
    client.post(note_url(room, "/sign"), headers=auth_headers(clinic_admin))

    savepoint = db.begin_nested()
    with pytest.raises(IntegrityError, match="is signed and cannot change"):
        db.execute(text("UPDATE visit_notes SET sections = '[]'::jsonb WHERE id = :id"), {"id": note.id})
    savepoint.rollback()


def test_a_pending_note_cannot_be_signed(client, auth_headers, clinic_admin, visit):
    room, _, _ = visit
    answer = client.post(note_url(room, "/sign"), headers=auth_headers(clinic_admin))
    assert answer.status_code == 409 and error_code(answer) == "note_not_ready"


def test_amending_opens_a_new_draft_and_keeps_the_signed_version(
    db, client, auth_headers, clinic_admin, drafted
):
    room, _, note = drafted
    headers = auth_headers(clinic_admin)
    signed = client.post(note_url(room, "/sign"), headers=headers).json()

    amended = client.post(note_url(room, "/amend"), headers=headers)

    assert amended.status_code == 201
    body = amended.json()
    assert body["version"] == 2 and body["status"] == "draft" and body["amends_note_id"] == note.id
    assert body["sections"] == signed["sections"] and body["content_hash"] is None
    versions = client.get(note_url(room, "/versions"), headers=headers).json()
    # The signed version stays the current one while the amendment is a draft.
    assert [(v["version"], v["status"]) for v in versions] == [(1, "signed"), (2, "draft")]
    assert versions[0]["content_hash"] == signed["content_hash"]
    assert client.get(note_url(room), headers=headers).json()["version"] == 2
    assert events_of(db, room)[-2:] == ["NOTE_SIGNED", "NOTE_AMENDED"]

    resigned = client.post(note_url(room, "/sign"), headers=headers)

    assert resigned.status_code == 200 and resigned.json()["version"] == 2
    first = client.get(note_url(room, "/versions/1"), headers=headers).json()
    assert first["status"] == "superseded" and first["signed_at"] == signed["signed_at"]
    assert first["content_hash"] == signed["content_hash"] and first["sections"] == signed["sections"]
    answer = client.post(note_url(room, "/amend"), headers=headers)
    assert answer.status_code == 201 and answer.json()["version"] == 3


def test_an_open_amendment_cannot_be_amended_again(client, auth_headers, clinic_admin, drafted):
    room, _, _ = drafted
    headers = auth_headers(clinic_admin)
    client.post(note_url(room, "/sign"), headers=headers)
    assert client.post(note_url(room, "/amend"), headers=headers).status_code == 201

    answer = client.post(note_url(room, "/amend"), headers=headers)

    assert answer.status_code == 409 and error_code(answer) == "note_not_signed"


def test_only_a_signed_note_can_be_amended(client, auth_headers, clinic_admin, drafted):
    room, _, _ = drafted
    answer = client.post(note_url(room, "/amend"), headers=auth_headers(clinic_admin))
    assert answer.status_code == 409 and error_code(answer) == "note_not_signed"


def test_a_manager_who_is_not_the_organizer_may_read_but_not_sign(db, client, auth_headers, drafted):
    room, _, _ = drafted
    manager = make_user(db, role=UserRole.MANAGER)

    assert client.get(note_url(room), headers=auth_headers(manager)).status_code == 200
    answer = client.post(note_url(room, "/sign"), headers=auth_headers(manager))
    assert answer.status_code == 403 and error_code(answer) == "not_allowed_to_sign"


def test_the_organizer_signs_when_a_professional_of_the_entity(db, client, auth_headers, clinic, drafted):
    room, _, _ = drafted
    organizer = make_user(db, role=UserRole.MANAGER, email="dr.souza@example.com")
    room.organizer_id = organizer.id
    db.flush()
    stranger = client.post(note_url(room, "/sign"), headers=auth_headers(organizer))
    assert stranger.status_code == 403

    link_professional(db, make_professional(db, email="Dr.Souza@example.com"), clinic)

    answer = client.post(note_url(room, "/sign"), headers=auth_headers(organizer))
    assert answer.status_code == 200 and answer.json()["signer_email"] == "dr.souza@example.com"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("patch", ""),
        ("post", "/sign"),
        ("post", "/amend"),
        ("get", "/versions"),
        ("get", "/versions/1"),
        ("get", "/fhir"),
    ],
)
def test_another_organization_sees_no_note(db, client, auth_headers, drafted, method, path):
    room, _, _ = drafted
    outsider = make_user(db, role=UserRole.ENTITY_ADMIN, entity=make_entity(db))
    body = {"json": {"sections": [{"key": "plan", "statements": []}]}} if method == "patch" else {}

    answer = getattr(client, method)(note_url(room, path), headers=auth_headers(outsider), **body)

    assert answer.status_code == 404 and error_code(answer) == "room_not_found"


@pytest.mark.parametrize(("method", "path"), [("get", ""), ("post", "/sign"), ("get", "/fhir")])
def test_without_a_backoffice_token_nobody_sees_a_note(client, drafted, method, path):
    room, _, _ = drafted
    answer = getattr(client, method)(
        note_url(room, path), headers={"Authorization": "Bearer participant-token"}
    )
    assert answer.status_code == 401


def test_a_room_without_a_note_and_a_missing_version_are_404(
    db, client, auth_headers, clinic, clinic_admin, drafted
):
    from tests.factories import make_room

    room, _, _ = drafted
    headers = auth_headers(clinic_admin)
    empty = make_room(db, clinic)

    assert error_code(client.get(note_url(empty), headers=headers)) == "note_not_found"
    assert error_code(client.get(note_url(room, "/versions/7"), headers=headers)) == "note_version_not_found"
    assert client.get(note_url(room, "/versions/0"), headers=headers).status_code == 404  # names no row


def test_the_fhir_export_is_a_valid_document_reference(client, auth_headers, clinic_admin, drafted):
    from fhir.resources.R4B.documentreference import DocumentReference

    room, _, _ = drafted
    headers = auth_headers(clinic_admin)

    draft = client.get(note_url(room, "/fhir"), headers=headers)
    client.post(note_url(room, "/sign"), headers=headers)
    final = client.get(note_url(room, "/fhir"), headers=headers)

    assert draft.status_code == 200 and draft.headers["content-type"].startswith("application/fhir+json")
    preliminary = DocumentReference.model_validate_json(draft.content)
    signed = DocumentReference.model_validate_json(final.content)
    assert preliminary.docStatus == "preliminary" and signed.docStatus == "final"
    assert "AIRPT" in {c.code for c in preliminary.meta.security}
    assert "CLINAST_AIRPT" in {c.code for c in signed.meta.security}
    assert signed.type.coding[0].code == "11506-3"
    assert "Maria Lima" in signed.subject.display
    assert signed.content[0].attachment.contentType == "text/markdown"


def test_a_pending_note_has_no_fhir_export(client, auth_headers, clinic_admin, visit):
    room, _, _ = visit
    answer = client.get(note_url(room, "/fhir"), headers=auth_headers(clinic_admin))
    assert answer.status_code == 409 and error_code(answer) == "note_not_ready"
