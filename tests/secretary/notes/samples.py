"""A note as the exports read it, for the export tests: change any field with keyword arguments."""

import dataclasses
from datetime import UTC, datetime, timedelta

from meetings.secretary.notes.export import NoteForExport, NoteSection

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SIGNED_AT = START + timedelta(hours=1)


def sample_note(*, sections: tuple[NoteSection, ...], **changes) -> NoteForExport:
    note = NoteForExport(
        note_id=41,
        version=1,
        room_id="3f1c2b9e-2d4e-4c55-9a0e-1d2f3a4b5c6d",
        room_title="Follow-up visit",
        kind="progress_note",
        template_name="SOAP",
        status="draft",
        sections=sections,
        created_at=START + timedelta(minutes=31),
        updated_at=START + timedelta(minutes=40),
        signed_at=None,
        signer_display=None,
        signer_user_id=None,
        author_display="Dr Ana Ruiz",
        subject_display="Bo Chen",
        entity_name="Riverside Clinic",
        period_start=START,
        period_end=START + timedelta(minutes=30),
        content_hash=None,
    )
    return dataclasses.replace(note, **changes)


SIGNATURE = {
    "status": "signed",
    "signed_at": SIGNED_AT,
    "signer_display": "ana.ruiz@riverside.example",
    "signer_user_id": 7,
    "content_hash": "9f" * 32,
}
