"""A note as a readable Markdown document: the attachment of the FHIR export."""

import re
from datetime import UTC, datetime

from meetings.secretary.notes.export import NoteForExport, NoteStatement, check_exportable

_MARKERS = {
    "supported": "",
    "unsupported": "**(not supported by the transcript)**",
    "edited": "_(edited by a person)_",
    "added": "_(added by a person)_",
}

# Inline syntax anywhere in a line: emphasis, code, links and images, raw HTML and entities, tables,
# strikethrough, and backslash itself.
_INLINE = re.compile(r"([\\`*_\[\]<>&|~#])")
# Block syntax that only counts where a line (or a list item's content) starts.
_BLOCK_START = re.compile(r"^([>+=-])|^(\d+)([.)])")
# GitHub's bare-URL autolinks (scheme://... and www.); an email address autolinks through its "@".
_BARE_URL = re.compile(r"(?i)\b(https?|ftp)(:)(//)|\b(www)(\.)")


def escape(text: str) -> str:
    """Returns the text as literal Markdown on one line: it cannot open a block, a link or HTML."""
    one_line = " ".join(text.split())
    escaped = _INLINE.sub(r"\\\1", one_line).replace("@", r"\@")
    escaped = _BARE_URL.sub(lambda m: f"{m[1]}\\:{m[3]}" if m[1] else f"{m[4]}\\.", escaped)
    return _BLOCK_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", escaped)


def note_markdown(note: NoteForExport) -> str:
    """Renders the note as Markdown, the same text for the same note."""
    check_exportable(note)
    lines = [f"# {escape(note.room_title)}", "", _status_line(note)]
    details = _details_line(note)
    if details:
        lines += ["", details]
    for section in note.sections:
        lines += ["", f"## {escape(section.title)}", ""]
        if not section.statements:
            lines.append("_No statements._")
        lines += [_statement_line(statement) for statement in section.statements]
    return "\n".join(lines) + "\n"


def _status_line(note: NoteForExport) -> str:
    parts = [escape(note.template_name), f"version {note.version}"]
    if note.status == "draft":
        parts.append("draft, not signed")
    else:
        signed = f"signed {_moment(note.signed_at)} by {escape(note.signer_display or '')}"
        parts.append(signed if note.status == "signed" else f"superseded ({signed})")
        if note.content_hash:
            parts.append(f"content SHA-256 {escape(note.content_hash)}")
    return " · ".join(parts)


def _details_line(note: NoteForExport) -> str:
    details = [
        ("Professional", note.author_display),
        ("Client", note.subject_display),
        ("Organization", note.entity_name),
    ]
    parts = [f"{label}: {escape(value)}" for label, value in details if value]
    if note.period_start:
        end = f" to {_moment(note.period_end)}" if note.period_end else ""
        parts.append(f"Visit: {_moment(note.period_start)}{end}")
    return " · ".join(parts)


def _statement_line(statement: NoteStatement) -> str:
    parts = [f"- {escape(statement.text)}"]
    marker = _MARKERS[statement.support]
    if marker:
        parts.append(marker)
    if statement.evidence:
        ids = sorted(set(statement.evidence))
        noun = "segment" if len(ids) == 1 else "segments"
        parts.append(f"[{noun} {', '.join(str(i) for i in ids)}]")
    return " ".join(parts)


def _moment(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""
