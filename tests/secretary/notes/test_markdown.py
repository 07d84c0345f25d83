from datetime import timedelta, timezone

import pytest
from markdown_it import MarkdownIt

from meetings.secretary.notes.export import NoteForExport, NoteSection, NoteStatement
from meetings.secretary.notes.markdown import escape, note_markdown
from tests.secretary.notes.samples import SIGNATURE, START, sample_note

SECTIONS = (
    NoteSection(
        key="subjective",
        title="Subjective",
        statements=(
            NoteStatement(
                id="s1", text="Headache for three days.", evidence=(14, 12, 14), support="supported"
            ),
            NoteStatement(id="s2", text="No known allergies.", evidence=(99,), support="unsupported"),
        ),
    ),
    NoteSection(
        key="plan",
        title="Plan",
        statements=(
            NoteStatement(id="p1", text="Ibuprofen 400 mg as needed.", evidence=(20,), support="edited"),
            NoteStatement(id="p2", text="Review in two weeks.", evidence=(), support="added"),
        ),
    ),
)


def a_note(**changes) -> NoteForExport:
    return sample_note(**({"sections": SECTIONS} | changes))


def signed(**changes) -> NoteForExport:
    return a_note(**(SIGNATURE | changes))


def statement_note(text: str) -> NoteForExport:
    section = NoteSection(key="k", title="Notes", statements=(NoteStatement("x", text, (1,), "supported"),))
    return a_note(sections=(section,))


def rendered(markdown: str):
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(markdown)


def test_a_draft_reads_as_a_document_with_one_heading_per_section():
    text = note_markdown(a_note())

    assert text == (
        "# Follow-up visit\n"
        "\n"
        "SOAP · version 1 · draft, not signed\n"
        "\n"
        "Professional: Dr Ana Ruiz · Client: Bo Chen · Organization: Riverside Clinic · "
        "Visit: 2026-12-01 09:00 UTC to 2026-12-01 09:30 UTC\n"
        "\n"
        "## Subjective\n"
        "\n"
        "- Headache for three days. [segments 12, 14]\n"
        "- No known allergies. **(not supported by the transcript)** [segment 99]\n"
        "\n"
        "## Plan\n"
        "\n"
        "- Ibuprofen 400 mg as needed. _(edited by a person)_ [segment 20]\n"
        "- Review in two weeks. _(added by a person)_\n"
    )


def test_a_signed_note_names_its_signer_time_and_content_hash():
    status_line = note_markdown(signed()).splitlines()[2]

    assert status_line == (
        "SOAP · version 1 · signed 2026-12-01 10:00 UTC by ana.ruiz\\@riverside.example · content SHA-256 "
        + "9f" * 32
    )


def test_a_superseded_version_still_says_who_signed_it():
    status_line = note_markdown(signed(status="superseded", version=2)).splitlines()[2]

    assert status_line.startswith("SOAP · version 2 · superseded (signed 2026-12-01 10:00 UTC by ana.ruiz")


def test_times_are_written_in_utc_whatever_zone_they_carry():
    madrid = timezone(timedelta(hours=1))
    text = note_markdown(a_note(period_start=START.astimezone(madrid), period_end=None))

    assert "Visit: 2026-12-01 09:00 UTC\n" in text


def test_missing_people_and_period_leave_no_empty_labels():
    text = note_markdown(
        a_note(
            author_display=None, subject_display=None, entity_name=None, period_start=None, period_end=None
        )
    )

    assert "Professional" not in text and "Client" not in text and "Visit:" not in text
    assert text.startswith("# Follow-up visit\n\nSOAP · version 1 · draft, not signed\n\n## Subjective\n")


def test_an_empty_section_says_so():
    text = note_markdown(a_note(sections=(NoteSection(key="objective", title="Objective", statements=()),)))

    assert text.endswith("## Objective\n\n_No statements._\n")


def test_unicode_text_is_kept_as_written():
    text = note_markdown(statement_note("Dolor de cabeza — 头痛 ✓ naïve café"))

    assert "- Dolor de cabeza — 头痛 ✓ naïve café [segment 1]\n" in text


def test_the_same_note_renders_the_same_text():
    assert note_markdown(signed()) == note_markdown(signed())


@pytest.mark.parametrize(
    "text",
    [
        "# Diagnosis: cancer",
        "fine\n\n# Injected heading",
        "fine\r\n## Injected heading",
        "see [the record](https://evil.example/x) now",
        "![pixel](https://evil.example/p.png)",
        "<https://evil.example>",
        "<script>alert(1)</script>",
        "<a href='https://evil.example'>x</a>",
        "[ref]\n\n[ref]: https://evil.example",
        "&lt;b&gt; and &#60;i&#62;",
        "> quoted",
        "1. not a list",
        "- not a list",
        "***",
        "```code```",
        "| a | b |\n| - | - |",
        "*bold* and _em_ and ~~struck~~",
    ],
)
def test_statement_text_cannot_inject_structure_links_or_html(text):
    tokens = rendered(note_markdown(statement_note(text)))

    blocks = [token.type for token in tokens if token.level == 0]
    assert blocks.count("heading_open") == 2  # the room title and the one section
    inline_types = {child.type for token in tokens if token.type == "inline" for child in token.children}
    assert not inline_types & {
        "link_open",
        "image",
        "html_inline",
        "em_open",
        "strong_open",
        "code_inline",
        "s_open",
    }
    assert not {token.type for token in tokens} & {
        "html_block",
        "blockquote_open",
        "ordered_list_open",
        "hr",
        "fence",
        "code_block",
        "table_open",
    }
    item = next(token for token in tokens if token.type == "inline" and "[segment 1]" in token.content)
    assert " ".join(text.split()) in "".join(child.content for child in item.children)


def test_bare_urls_and_emails_are_broken_for_github_autolinks():
    assert escape("go to https://evil.example or www.evil.example") == (
        "go to https\\://evil.example or www\\.evil.example"
    )
    assert escape("write to a@b.example") == "write to a\\@b.example"


def test_titles_and_names_are_escaped_too():
    text = note_markdown(a_note(room_title="Visit [x](https://e.example) #3", subject_display="<b>Bo</b>"))

    assert text.startswith("# Visit \\[x\\](https\\://e.example) \\#3\n")
    assert "Client: \\<b\\>Bo\\</b\\>" in text


def test_an_unknown_support_value_fails_loudly():
    note = a_note(sections=(NoteSection("k", "Notes", (NoteStatement("x", "text", (), "maybe"),)),))

    with pytest.raises(ValueError, match="unknown support 'maybe'"):
        note_markdown(note)
