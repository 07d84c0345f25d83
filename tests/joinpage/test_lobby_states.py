"""Every state of the lobby in headless Chromium, against the real server and join API."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from meetings.secretary.rooms.models import RoomStatus
from tests.joinpage.support import JOIN_WINDOW, screenshot


def _state(page, state: str) -> None:
    expect(page.locator("body")).to_have_attribute("data-state", state)


def test_ready_lobby_shows_room_local_time_name_and_password_field(live_server, links, open_page):
    scheduled = (datetime.now(UTC) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    room = links.room(title="Consulta com Dra. Ana", scheduled_at=scheduled)
    link = links.link(room, name="João Pereira")
    page, probe = open_page(live_server.url + link.path(), timezone="Asia/Tokyo")

    _state(page, "ready")
    expect(page.locator("#room-title")).to_have_text("Consulta com Dra. Ana")
    expect(page.locator("#participant-name")).to_have_text("João Pereira")
    local = scheduled.astimezone(ZoneInfo("Asia/Tokyo"))
    expect(page.locator("#room-time")).to_contain_text(local.strftime("%I:%M").lstrip("0"))
    expect(page.locator("#room-time")).to_contain_text(str(local.day))
    expect(page.locator("#room-description")).to_have_text("Acompanhamento do tratamento.")
    password = page.get_by_label("Meeting password")
    expect(password).to_be_focused()
    expect(password).to_have_attribute("inputmode", "numeric")
    expect(password).to_have_attribute("autocomplete", "one-time-code")
    expect(password).to_have_attribute("pattern", "[0-9]{8}")
    expect(page.get_by_role("button", name="Join the meeting")).to_be_enabled()
    screenshot(page, "ready")
    assert probe.csp_violations() == [] and probe.page_errors() == []


def test_portuguese_browser_gets_portuguese_words(live_server, links, open_page):
    room = links.room(title="Reunião de pais")
    link = links.link(room, name="Carla Souza")
    page, probe = open_page(live_server.url + link.path(), locale="pt-BR")

    _state(page, "ready")
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(page.get_by_label("Senha da reunião")).to_be_visible()
    expect(page.get_by_role("button", name="Entrar na reunião")).to_be_visible()
    expect(page.locator("#room-details")).to_contain_text("Você entra como")
    screenshot(page, "ready-pt")
    assert probe.page_errors() == []


def test_too_early_shows_a_countdown_then_opens_by_itself(live_server, links, open_page):
    opens_in = timedelta(seconds=4)
    room = links.room(status=RoomStatus.SCHEDULED, scheduled_at=datetime.now(UTC) + JOIN_WINDOW + opens_in)
    link = links.link(room)
    page, _ = open_page(live_server.url + link.path())

    _state(page, "too_early")
    expect(page.get_by_role("heading", name="It is too early to join")).to_be_focused()
    expect(page.locator("#countdown-value")).to_have_text(re.compile(r"^00:0[0-4]$"))
    expect(page.locator("#notice-text")).to_contain_text("Doors open at")
    expect(page.locator("#password-form")).to_be_hidden()
    screenshot(page, "too-early")

    _state(page, "ready")  # the countdown reached zero and the page asked again
    expect(page.get_by_label("Meeting password")).to_be_focused()
    expect(page.locator("#announcer")).to_have_text("The meeting is open. You can join now.")


def test_too_early_by_hours_counts_down_in_hours(live_server, links, open_page):
    room = links.room(status=RoomStatus.SCHEDULED, scheduled_at=datetime.now(UTC) + timedelta(hours=3))
    page, _ = open_page(live_server.url + links.link(room).path())

    _state(page, "too_early")
    expect(page.locator("#countdown-value")).to_have_text(re.compile(r"^02:4\d:\d\d$"))
    expect(page.locator("#countdown-label")).to_have_text("The meeting opens for joining in")


def test_expired_link(live_server, links, open_page):
    room = links.room()
    link = links.link(room, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    page, _ = open_page(live_server.url + link.path())

    _state(page, "expired")
    expect(page.get_by_role("heading", name="This link has expired")).to_be_focused()
    expect(page.locator("#notice-text")).to_have_text("Ask the organizer for a new invitation link.")
    expect(page.locator("#password-form")).to_be_hidden()
    screenshot(page, "expired")


def test_unknown_link(live_server, open_page):
    page, _ = open_page(f"{live_server.url}/join/{uuid.uuid4()}")

    _state(page, "not_found")
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()
    screenshot(page, "not-found")


def test_canceled_room(live_server, links, open_page):
    room = links.room(title="Aula de reforço", status=RoomStatus.CANCELED)
    page, _ = open_page(live_server.url + links.link(room).path())

    _state(page, "canceled")
    expect(page.locator("#room-title")).to_have_text("Aula de reforço")
    expect(page.get_by_role("heading", name="This meeting was canceled")).to_be_focused()
    expect(page.locator("#password-form")).to_be_hidden()
    screenshot(page, "canceled")


def test_ended_room(live_server, links, open_page):
    room = links.room(status=RoomStatus.COMPLETED)
    page, _ = open_page(live_server.url + links.link(room).path())

    _state(page, "ended")
    expect(page.get_by_role("heading", name="This meeting has ended")).to_be_visible()
    expect(page.locator("#password-form")).to_be_hidden()
    screenshot(page, "ended")


def test_full_room_says_so_and_offers_to_try_again(live_server, links, open_page):
    room = links.room(max_participants=2)
    for name in ("Ana", "Bruno"):
        links.link(room, name=name, joined_at=datetime.now(UTC))
    link = links.link(room, name="Carlos")
    page, _ = open_page(live_server.url + link.path())

    _state(page, "ready")
    page.get_by_label("Meeting password").fill(link.password)
    page.get_by_role("button", name="Join the meeting").click()

    _state(page, "full")
    expect(page.get_by_role("heading", name="The meeting is full")).to_be_focused()
    try_again = page.get_by_role("button", name="Try again")
    expect(try_again).to_be_visible()
    screenshot(page, "full")
    try_again.click()
    _state(page, "ready")


def test_wrong_password_tells_the_attempts_left(live_server, links, open_page):
    link = links.link(links.room())
    page, probe = open_page(live_server.url + link.path())
    wrong = "00000000" if link.password != "00000000" else "11111111"

    password = page.get_by_label("Meeting password")
    password.fill(wrong)
    password.press("Enter")

    _state(page, "ready")
    error = page.locator("#password-error")
    expect(error).to_have_text("Wrong password. 4 attempts left.")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_be_focused()
    expect(page.locator("#announcer")).to_have_text("Wrong password. 4 attempts left.")
    screenshot(page, "wrong-password")

    password.fill(wrong)
    password.press("Enter")
    expect(error).to_have_text("Wrong password. 3 attempts left.")
    password.fill("1234")
    password.press("Enter")
    expect(error).to_have_text("Enter the 8 digits of your password.")
    assert probe.page_errors() == []


def test_last_wrong_password_locks_the_link_until_a_time(live_server, links, open_page):
    link = links.link(links.room(), failed_attempts=4)
    page, _ = open_page(live_server.url + link.path())
    wrong = "00000000" if link.password != "00000000" else "11111111"

    expect(page.locator("#password-error")).to_be_hidden()
    page.get_by_label("Meeting password").fill(wrong)
    page.get_by_role("button", name="Join the meeting").click()

    _state(page, "locked")
    expect(page.get_by_role("heading", name="Too many wrong passwords")).to_be_focused()
    expect(page.locator("#notice-text")).to_contain_text("locked until")
    expect(page.locator("#countdown-value")).to_have_text(re.compile(r"^1[45]:\d\d$"))


def test_locked_link_shows_until_when(live_server, links, open_page):
    locked_until = (datetime.now(UTC) + timedelta(minutes=10)).replace(microsecond=0)
    link = links.link(links.room(), failed_attempts=5, locked_until=locked_until)
    page, _ = open_page(live_server.url + link.path(), timezone="America/Sao_Paulo")

    _state(page, "locked")
    local = locked_until.astimezone(ZoneInfo("America/Sao_Paulo"))
    expect(page.locator("#notice-text")).to_contain_text(local.strftime("%I:%M").lstrip("0"))
    expect(page.locator("#password-form")).to_be_hidden()
    screenshot(page, "locked")
