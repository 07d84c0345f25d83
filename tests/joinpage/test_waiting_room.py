"""The waiting room in two browsers: the client waits, the organizer's knock list admits or denies."""

from playwright.sync_api import expect

from tests.joinpage.support import screenshot


def _state(page, state: str, timeout: float = 15000) -> None:
    expect(page.locator("body")).to_have_attribute("data-state", state, timeout=timeout)


def _join(page, password: str) -> None:
    page.get_by_label("Meeting password").fill(password)
    page.get_by_role("button", name="Join the meeting").click()


def _organizer_and_waiting_client(live_server, links, open_page):
    room = links.room(title="Consulta de retorno", waiting_room=True)
    organizer = links.link(room, name="Dra. Ana", is_organizer=True)
    client = links.link(room, name="Maria Silva")
    organizer_page, organizer_probe = open_page(live_server.url + organizer.path())
    _join(organizer_page, organizer.password)
    _state(organizer_page, "unreachable")  # in the meeting screen; no LiveKit media server runs here
    client_page, client_probe = open_page(live_server.url + client.path())
    _join(client_page, client.password)
    _state(client_page, "waiting")
    expect(client_page.get_by_role("heading", name="Waiting for the organizer")).to_be_focused()
    expect(client_page.locator("#announcer")).to_contain_text("The organizer will let you in shortly")
    knock = organizer_page.locator("#knock-panel")
    expect(knock).to_be_visible(timeout=5000)
    expect(knock.get_by_role("heading", name="Waiting to join")).to_be_visible()
    expect(organizer_page.locator("#announcer")).to_have_text("Maria Silva is waiting to join.", timeout=5000)
    return organizer_page, client_page, [organizer_probe, client_probe]


def test_the_organizer_admits_a_waiting_client_who_then_enters(live_server, links, open_page):
    organizer_page, client_page, probes = _organizer_and_waiting_client(live_server, links, open_page)
    screenshot(organizer_page, "knock-list")
    screenshot(client_page, "waiting")
    organizer_page.get_by_role("button", name="Admit Maria Silva").click()
    expect(organizer_page.locator("#announcer")).to_have_text("Maria Silva was admitted.")
    expect(organizer_page.locator("#knock-panel")).to_be_hidden()
    # The waiting page asks again every two seconds: it enters the meeting screen soon after.
    _state(client_page, "unreachable", timeout=6000)
    expect(client_page.locator("#meeting")).to_be_visible()
    assert all(probe.page_errors() == [] for probe in probes)


def test_the_organizer_denies_a_waiting_client_who_is_told(live_server, links, open_page):
    organizer_page, client_page, probes = _organizer_and_waiting_client(live_server, links, open_page)
    organizer_page.get_by_role("button", name="Deny Maria Silva").click()
    expect(organizer_page.locator("#announcer")).to_have_text("Maria Silva was not let in.")
    _state(client_page, "denied", timeout=6000)
    expect(client_page.get_by_role("heading", name="The organizer did not let you in")).to_be_focused()
    expect(client_page.locator("#meeting")).to_be_hidden()
    assert all(probe.page_errors() == [] for probe in probes)
