"""Consent on the join page: two separate choices before entering, and withdrawing the assistant inside."""

from playwright.sync_api import expect
from sqlalchemy import select

from meetings.db_scope import set_db_scope
from meetings.secretary.consent.models import ConsentRecord
from tests.joinpage.support import screenshot, session_maker


def _state(page, state: str, timeout: float = 15000) -> None:
    expect(page.locator("body")).to_have_attribute("data-state", state, timeout=timeout)


def _records(engine, room_id: str) -> list[tuple[str, bool, bool]]:
    with set_db_scope(session_maker(engine)(), "manager") as db:
        rows = db.scalars(
            select(ConsentRecord).where(ConsentRecord.room_id == room_id).order_by(ConsentRecord.id)
        )
        return [(r.action, r.recording, r.assistant) for r in rows]


def test_choices_are_sent_separately_and_the_assistant_can_be_withdrawn(
    livekit_api_server, links, open_page, engine
):
    room = links.room()
    link = links.link(room)
    page, probe = open_page(livekit_api_server.url + link.path())
    _state(page, "ready")
    recording = page.get_by_role("checkbox", name="I agree that this meeting may be recorded.")
    assistant = page.get_by_role("checkbox", name="I agree that an AI assistant may listen and help.")
    expect(recording).not_to_be_checked()
    expect(assistant).not_to_be_checked()
    assistant.check()
    screenshot(page, "consent")
    page.get_by_label("Meeting password").fill(link.password)
    page.get_by_role("button", name="Join the meeting").click()
    _state(page, "unreachable")  # the stand-in speaks no WebRTC; the meeting screen is shown
    assert _records(engine, room.id) == [("JOIN", False, True)]

    page.get_by_role("button", name="Stop the assistant hearing me").click()
    expect(page.locator("#announcer")).to_have_text("The assistant no longer hears you.")
    expect(page.get_by_role("button", name="Stop the assistant hearing me")).to_be_hidden()
    assert _records(engine, room.id) == [("JOIN", False, True), ("WITHDRAW", False, False)]
    assert probe.page_errors() == []


def test_without_assistant_consent_there_is_nothing_to_withdraw(livekit_api_server, links, open_page, engine):
    room = links.room()
    link = links.link(room)
    page, _ = open_page(livekit_api_server.url + link.path())
    page.get_by_label("Meeting password").fill(link.password)
    page.get_by_role("button", name="Join the meeting").click()
    _state(page, "unreachable")
    expect(page.locator("#withdraw-assistant")).to_be_hidden()
    assert _records(engine, room.id) == [("JOIN", False, False)]
