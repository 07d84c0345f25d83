"""The right password, the meeting screen and the connection attempt (no LiveKit server runs here)."""

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from meetings.secretary.participants.models import ParticipantType
from meetings.secretary.rooms.models import RoomStatus
from tests.joinpage.support import screenshot

PHONE = {"width": 390, "height": 844}


def _state(page, state: str, timeout: float = 15000) -> None:
    expect(page.locator("body")).to_have_attribute("data-state", state, timeout=timeout)


def _join(page, password: str) -> None:
    page.get_by_label("Meeting password").fill(password)
    page.get_by_role("button", name="Join the meeting").click()


def test_right_password_opens_the_meeting_and_says_the_server_cannot_be_reached(
    live_server, links, open_page
):
    link = links.link(links.room(title="Sessão de terapia"), name="Paula Reis")
    page, probe = open_page(live_server.url + link.path())
    connection_attempts = []
    page.on("websocket", lambda socket: connection_attempts.append(socket.url))

    _join(page, link.password)

    expect(page.locator("#meeting")).to_be_visible()
    expect(page.locator("#meeting-title")).to_have_text("Sessão de terapia")
    _state(page, "unreachable")
    alert = page.get_by_role("alert").filter(has_text="Cannot reach the meeting server")
    expect(alert).to_be_visible()
    expect(page.get_by_role("button", name="Try again")).to_be_focused()
    assert any(url.startswith(live_server.env["LIVEKIT_URL"] + "/rtc") for url in connection_attempts)
    # The camera preview runs meanwhile: the person's own tile shows their video.
    own_tile = page.locator(".tile.is-local")
    expect(own_tile).to_contain_text("Paula Reis (You)")
    expect(own_tile).to_have_class(_contains("has-video"))
    expect(page.get_by_role("button", name="Mute microphone")).to_be_enabled()
    expect(page.get_by_role("button", name="Turn camera off")).to_be_enabled()
    expect(page.get_by_role("button", name="End for everyone")).to_be_hidden()
    expect(page.locator("#suggestions-panel")).to_be_hidden()
    expect(page.get_by_label("Your question")).to_be_visible()
    expect(page.get_by_role("log", name="Live captions")).to_be_attached()
    screenshot(page, "cannot-reach-meeting-server")

    page.get_by_role("button", name="Turn camera off").click()
    expect(page.get_by_role("button", name="Turn camera on")).to_be_visible()
    expect(own_tile).not_to_have_class(_contains("has-video"))
    page.get_by_role("button", name="Mute microphone").click()
    expect(page.get_by_role("button", name="Unmute microphone")).to_be_visible()
    expect(own_tile).to_contain_text("muted")

    with page.expect_websocket(lambda socket: "/rtc" in socket.url):
        page.get_by_role("button", name="Try again").click()
    _state(page, "unreachable")
    expect(page.get_by_role("button", name="Try again")).to_be_focused()
    assert probe.csp_violations() == [] and probe.page_errors() == []
    assert link.token not in live_server.output()  # the server logs at DEBUG, without access log


def test_chat_refuses_to_send_while_disconnected(live_server, links, open_page):
    link = links.link(links.room())
    page, _ = open_page(live_server.url + link.path())
    _join(page, link.password)
    _state(page, "unreachable")

    page.get_by_label("Your question").fill("Qual é o horário da próxima consulta?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#chat-error")).to_have_text(
        "Your message could not be sent. Try again when you are connected."
    )
    expect(page.get_by_label("Your question")).to_have_value("Qual é o horário da próxima consulta?")


def test_scheduled_room_whose_meeting_server_is_down_says_so_in_the_lobby(live_server, links, open_page):
    # The first join opens the LiveKit room from the server, which cannot reach LiveKit here.
    room = links.room(status=RoomStatus.SCHEDULED, scheduled_at=datetime.now(UTC) + timedelta(minutes=5))
    link = links.link(room)
    page, _ = open_page(live_server.url + link.path())

    _join(page, link.password)

    _state(page, "unreachable")
    expect(page.get_by_role("heading", name="Cannot reach the meeting server")).to_be_focused()
    expect(page.locator("#notice-text")).to_contain_text("Your password is right")
    screenshot(page, "cannot-reach-meeting-server-lobby")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Try again").click()  # the same password, again
    assert answer.value.status == 502
    _state(page, "unreachable")


def test_blocked_camera_and_microphone_are_explained(live_server, links, open_page):
    link = links.link(links.room())
    page, _ = open_page(live_server.url + link.path(), media=False)

    _join(page, link.password)

    problem = page.locator("#media-problem")
    expect(problem).to_have_text(
        "Your browser blocked the camera and microphone. Allow them in the site settings to be seen and heard; "
        "you can still watch and listen."
    )
    expect(page.get_by_role("button", name="Unmute microphone")).to_be_disabled()
    expect(page.get_by_role("button", name="Turn camera on")).to_be_disabled()
    _state(page, "unreachable")
    screenshot(page, "media-blocked")


def test_professional_sees_the_private_suggestions_panel(live_server, links, open_page):
    link = links.link(links.room(), name="Dra. Ana Lima", participant_type=ParticipantType.PROFESSIONAL)
    page, _ = open_page(live_server.url + link.path())

    _join(page, link.password)

    panel = page.get_by_role("complementary", name="Private suggestions")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Only you see these.")
    expect(panel.get_by_role("log", name="Private suggestions")).to_be_attached()
    _state(page, "unreachable")
    screenshot(page, "professional-meeting")


def test_leaving_returns_to_a_page_that_offers_to_join_again(live_server, links, open_page):
    link = links.link(links.room())
    page, _ = open_page(live_server.url + link.path())
    _join(page, link.password)
    _state(page, "unreachable")

    page.get_by_role("button", name="Leave").click()

    _state(page, "left")
    expect(page.get_by_role("heading", name="You left the meeting")).to_be_focused()
    page.get_by_role("button", name="Join again").click()
    _state(page, "ready")


def test_organizer_ends_the_meeting_for_everyone(livekit_api_server, links, open_page):
    room = links.room(title="Reunião de equipe")
    link = links.link(room, name="Rita Gomes", is_organizer=True)
    page, probe = open_page(livekit_api_server.url + link.path())
    _join(page, link.password)
    _state(page, "unreachable")  # the stand-in answers the server API but speaks no WebRTC

    page.get_by_role("button", name="End for everyone").click()
    dialog = page.get_by_role("dialog", name="End the meeting for everyone?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    screenshot(page, "organizer-end-dialog")
    dialog.get_by_role("button", name="End the meeting").click()

    _state(page, "ended")
    expect(page.get_by_role("heading", name="This meeting has ended")).to_be_focused()
    delete_calls = livekit_api_server.stand_in.method_calls("DeleteRoom")
    assert [call.room for call in delete_calls] == [f"meeting-{room.id}"]
    assert probe.page_errors() == []
    assert link.token not in livekit_api_server.output()


def test_organizer_is_told_when_the_meeting_could_not_be_ended(live_server, links, open_page):
    link = links.link(links.room(), is_organizer=True)
    page, _ = open_page(live_server.url + link.path())
    _join(page, link.password)
    _state(page, "unreachable")

    page.get_by_role("button", name="End for everyone").click()
    page.get_by_role("button", name="End the meeting").click()

    expect(page.locator("#end-error")).to_have_text("The meeting could not be ended. Try again.")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    _state(page, "unreachable")


def test_keyboard_only(live_server, links, open_page):
    link = links.link(links.room(), name="Teclado Silva")
    page, _ = open_page(live_server.url + link.path())
    password = page.get_by_label("Meeting password")
    expect(password).to_be_focused()

    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(password).to_be_focused()
    page.keyboard.type(link.password)
    page.keyboard.press("Tab")  # the two consent choices come between the password and the button
    expect(page.get_by_role("checkbox", name="I agree that this meeting may be recorded.")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(
        page.get_by_role("checkbox", name="I agree that an AI assistant may listen and help.")
    ).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Join the meeting")).to_be_focused()
    page.keyboard.press("Enter")

    _state(page, "unreachable")
    retry = page.get_by_role("button", name="Try again")
    expect(retry).to_be_focused()
    # The device buttons take focus once their tracks exist (disabled until then), which on a loaded
    # machine can be a moment after the state changes.
    expect(page.locator("#mic-button")).to_be_enabled()
    expect(page.locator("#camera-button")).to_be_enabled()
    order = []
    for _ in range(8):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.textContent"))
    assert order.index("chat-input") < order.index("mic-button") < order.index("camera-button")
    assert order.index("camera-button") < order.index("leave-button")
    while page.evaluate("document.activeElement.id") != "leave-button":
        page.keyboard.press("Tab")
    screenshot(page, "keyboard-focus-leave")
    page.keyboard.press("Enter")
    _state(page, "left")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Join again")).to_be_focused()


def test_phone_viewport(live_server, links, open_page):
    link = links.link(links.room(title="Consulta pediátrica com a Dra. Beatriz Albuquerque"), name="Luiza")
    page, _ = open_page(live_server.url + link.path(), viewport=PHONE)

    expect(page.get_by_label("Meeting password")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    button = page.get_by_role("button", name="Join the meeting").bounding_box()
    assert button["height"] >= 44 and button["x"] >= 0 and button["x"] + button["width"] <= PHONE["width"]
    screenshot(page, "phone-lobby")

    _join(page, link.password)
    _state(page, "unreachable")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for name in ("Mute microphone", "Turn camera off", "Leave"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], name
    screenshot(page, "phone-meeting", full_page=False)  # what the phone shows: controls stay at the bottom
    page.get_by_label("Your question").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    expect(page.get_by_label("Your question")).to_be_in_viewport()
    screenshot(page, "phone-meeting-scrolled", full_page=False)


def _contains(class_name: str):
    import re

    return re.compile(rf"(^|\s){class_name}(\s|$)")
