import base64
import hashlib
import json
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from fhir.resources.R4B.documentreference import DocumentReference

from meetings.secretary.notes.export import NoteForExport, NoteSection, NoteStatement
from meetings.secretary.notes.fhir import document_reference, document_reference_json
from meetings.secretary.notes.markdown import note_markdown
from tests.secretary.notes.samples import (
    SIGNATURE,
    SIGNED_AT,  # noqa: E402
    START,
    sample_note,
)

AI_PROVENANCE = "http://hl7.org/fhir/uv/aitransparency/CodeSystem/AddedProvenanceCS"
OBSERVATION_VALUE = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"


SECTIONS = (
    NoteSection(
        key="subjective",
        title="Subjective",
        statements=(
            NoteStatement(id="s1", text="Headache for three days.", evidence=(12, 14), support="supported"),
            NoteStatement(id="s2", text="No known allergies.", evidence=(), support="unsupported"),
        ),
    ),
)


def a_note(**changes) -> NoteForExport:
    return sample_note(**({"sections": SECTIONS} | changes))


def signed(**changes) -> NoteForExport:
    return a_note(**(SIGNATURE | changes))


def exported(note: NoteForExport) -> DocumentReference:
    """The export as a receiver reads it: the JSON parsed and validated again by fhir.resources."""
    return DocumentReference.model_validate_json(document_reference_json(note))


def security_codes(resource: DocumentReference) -> set[tuple[str, str]]:
    return {(coding.system, coding.code) for coding in resource.meta.security}


def test_the_json_is_a_valid_r4_document_reference_that_round_trips():
    note = signed()
    text = document_reference_json(note)

    parsed = DocumentReference.model_validate_json(text)

    assert json.loads(text)["resourceType"] == "DocumentReference"
    assert parsed == document_reference(note)
    assert parsed.meta.profile == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference"
    ]


def test_a_draft_is_preliminary_and_labelled_ai_reported():
    resource = exported(a_note())

    assert (resource.status, resource.docStatus) == ("current", "preliminary")
    assert (AI_PROVENANCE, "AIRPT") in security_codes(resource)
    assert (AI_PROVENANCE, "CLINAST_AIRPT") not in security_codes(resource)
    assert (OBSERVATION_VALUE, "AIAST") in security_codes(resource)
    assert resource.authenticator is None
    assert resource.date == START + timedelta(minutes=40)


def test_a_signed_first_version_is_final_and_labelled_clinician_asserted():
    resource = exported(signed())

    assert (resource.status, resource.docStatus) == ("current", "final")
    assert (AI_PROVENANCE, "CLINAST_AIRPT") in security_codes(resource)
    assert (AI_PROVENANCE, "AIRPT") not in security_codes(resource)
    assert (OBSERVATION_VALUE, "AIAST") in security_codes(resource)
    label = next(coding for coding in resource.meta.security if coding.code == "CLINAST_AIRPT")
    assert (label.version, label.display) == ("1.0.0-ballot", "Clinician Asserted from AI Reported")
    assert resource.authenticator.display == "ana.ruiz@riverside.example"
    assert resource.authenticator.identifier.value == "mailto:ana.ruiz@riverside.example"
    assert resource.date == SIGNED_AT


@pytest.mark.parametrize(
    ("status", "version", "expected"),
    [
        ("draft", 1, ("current", "preliminary")),
        ("draft", 3, ("current", "preliminary")),
        ("signed", 1, ("current", "final")),
        ("signed", 2, ("current", "amended")),
        ("superseded", 1, ("superseded", "final")),
        ("superseded", 2, ("superseded", "amended")),
    ],
)
def test_status_and_doc_status_follow_the_note_status_and_version(status, version, expected):
    note = a_note(version=version) if status == "draft" else signed(status=status, version=version)

    resource = exported(note)

    assert (resource.status, resource.docStatus) == expected
    assert ((AI_PROVENANCE, "AIRPT") in security_codes(resource)) is (status == "draft")


@pytest.mark.parametrize(
    ("kind", "code", "display"),
    [
        ("progress_note", "11506-3", "Progress note"),
        ("consult_note", "11488-4", "Consult note"),
        ("minutes", "34109-9", "Note"),
        ("class_summary", "34109-9", "Note"),
    ],
)
def test_the_type_is_the_loinc_document_code_of_the_kind_with_the_template_name(kind, code, display):
    resource = exported(a_note(kind=kind, template_name="Weekly minutes"))

    [coding] = resource.type.coding
    assert (coding.system, coding.code, coding.display) == ("http://loinc.org", code, display)
    assert resource.type.text == "Weekly minutes"
    [category] = resource.category
    assert [(c.system, c.code) for c in category.coding] == [
        ("http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", "clinical-note")
    ]


def test_people_organization_and_period_are_carried():
    resource = exported(signed())

    assert resource.subject.display == "Bo Chen"
    assert resource.subject.reference is None
    assert [author.display for author in resource.author] == ["Dr Ana Ruiz"]
    assert resource.custodian.display == "Riverside Clinic"
    assert (resource.context.period.start, resource.context.period.end) == (
        START,
        START + timedelta(minutes=30),
    )
    assert resource.description == "SOAP: Follow-up visit"


def test_a_visit_without_client_or_professional_says_the_subject_is_unknown():
    resource = exported(a_note(subject_display=None, author_display=None, entity_name=None))

    [absent] = resource.subject.extension
    assert (absent.url, absent.valueCode) == (
        "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
        "unknown",
    )
    assert resource.author is None
    assert resource.custodian is None


def test_a_note_without_a_period_has_no_context():
    assert exported(a_note(period_start=None, period_end=None)).context is None


def test_the_attachment_is_the_markdown_with_its_sha1_hash_and_size():
    note = signed()

    [wire] = json.loads(document_reference_json(note))["content"]
    [content] = exported(note).content
    attachment = content.attachment
    data = base64.b64decode(wire["attachment"]["data"], validate=True)

    assert attachment.contentType == "text/markdown"
    assert data == attachment.data == note_markdown(note).encode("utf-8")
    assert base64.b64decode(wire["attachment"]["hash"], validate=True) == hashlib.sha1(data).digest()
    assert attachment.size == len(data)
    assert attachment.creation == START + timedelta(minutes=31)
    assert attachment.title == "Follow-up visit"
    assert content.format.code == "urn:ihe:iti:xds:2017:mimeTypeSufficient"


def test_unicode_survives_the_json_and_the_attachment():
    section = NoteSection(
        "s", "Síntomas", (NoteStatement("u", "Dolor de cabeza — 头痛 ✓", (3,), "supported"),)
    )
    note = a_note(room_title="Consulta de Añá 🩺", subject_display="Zoë Łukasz", sections=(section,))

    resource = exported(note)
    data = resource.content[0].attachment.data.decode("utf-8")

    assert resource.content[0].attachment.title == "Consulta de Añá 🩺"
    assert resource.subject.display == "Zoë Łukasz"
    assert "## Síntomas\n\n- Dolor de cabeza — 头痛 ✓ [segment 3]\n" in data


def test_the_attachment_holds_the_escaped_statement_text():
    section = NoteSection("s", "Plan", (NoteStatement("e", "# see [x](https://evil.example)", (), "added"),))

    resource = exported(a_note(sections=(section,)))
    data = resource.content[0].attachment.data.decode("utf-8")

    assert "- \\# see \\[x\\](https\\://evil.example) _(added by a person)_\n" in data


def test_identifiers_name_the_version_and_the_note_across_versions():
    first, second = exported(signed(status="superseded")), exported(signed(version=2))

    assert first.masterIdentifier.system == "urn:ietf:rfc:3986"
    assert first.masterIdentifier.value.startswith("urn:uuid:")
    assert first.masterIdentifier.value != second.masterIdentifier.value
    assert first.identifier == second.identifier
    assert exported(signed()).masterIdentifier == first.masterIdentifier
    assert (first.id, second.id) == ("note-41-v1", "note-41-v2")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "letter"}, "Unknown note kind 'letter'"),
        ({"status": "archived"}, "Unknown note status 'archived'"),
        ({"version": 0}, "starts at 1"),
        ({"status": "signed"}, "needs signed_at and signer_display"),
        ({"signed_at": SIGNED_AT}, "A draft note has no signed_at"),
        ({"created_at": datetime(2026, 12, 1, 9, 31)}, "created_at must carry a time zone"),
        ({"period_end": START - timedelta(minutes=1)}, "period_end is before period_start"),
        (
            {"sections": (NoteSection("a", "A", (NoteStatement("x", "one", (), "supported"),) * 2),)},
            "appears twice",
        ),
    ],
)
def test_inconsistent_input_fails_loudly(changes, message):
    with pytest.raises(ValueError, match=message):
        document_reference(a_note(**changes))


def test_importing_the_export_does_not_load_fhir_resources():
    code = "import sys, meetings.secretary.notes.fhir; print(sorted(m for m in sys.modules if m.split('.')[0] in ('fhir', 'fhir_core')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"
