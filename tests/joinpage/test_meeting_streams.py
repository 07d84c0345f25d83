"""The connected meeting screen: grid, captions, chat and suggestions, with livekit-client replaced by a
scripted stand-in (web/test/fake-livekit.js) bundled with the page's real code. The page, its CSP, the
join API and the password flow are the real ones; only the media connection is simulated."""

import json
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from meetings.secretary.joinpage.routes import STATIC_DIR
from meetings.secretary.participants.models import ParticipantType
from tests.joinpage.support import REPO_ROOT, screenshot

ROOM = "window.fakeLiveKit.rooms.at(-1)"


@pytest.fixture(scope="session")
def fake_bundle(tmp_path_factory) -> bytes:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    out = tmp_path_factory.mktemp("fake-livekit") / "join.js"
    subprocess.run(
        [node, "test/build-with-fake-livekit.mjs", str(out)], cwd=REPO_ROOT / "web", check=True, timeout=120
    )
    return out.read_bytes()


@pytest.fixture
def open_meeting(live_server, links, open_page, fake_bundle):
    """Opens a link with the scripted LiveKit, types the right password and waits for the meeting."""
    script_name = json.loads((STATIC_DIR / "manifest.json").read_text())["join.js"]

    def open_(link, password_label="Meeting password", **options):
        page, probe = open_page("about:blank", **options)
        page.route(
            f"**/join-assets/{script_name}",
            lambda route: route.fulfill(body=fake_bundle, content_type="text/javascript; charset=utf-8"),
        )
        page.goto(live_server.url + link.path())
        page.get_by_label(password_label).fill(link.password)
        page.keyboard.press("Enter")
        expect(page.locator("body")).to_have_attribute("data-state", "in_meeting")
        return page, probe

    return open_


def test_connected_meeting_shows_everyone_captions_and_chat(open_meeting, links, live_server):
    link = links.link(links.room(title="Consulta de rotina"), name="Marta Nunes")
    page, probe = open_meeting(link)

    expect(page.locator("#connection-status")).to_have_text("You are in the meeting.")
    expect(page.locator("#connection-problem")).to_be_hidden()
    assert page.evaluate(f"{ROOM}.url") == live_server.env["LIVEKIT_URL"]  # from POST /v1/join/{token}
    assert page.evaluate(f"{ROOM}.token.split('.').length") == 3  # the LiveKit access token (a JWT)
    page.evaluate(f"{ROOM}.addParticipant('participant-900', 'Dr. Paulo', {{micTrackSid: 'TR_paulo_mic'}})")
    page.evaluate(f"{ROOM}.addParticipant('agent-1', 'meeting-assistant', {{isAgent: true}})")
    tiles = page.locator("#grid > li")
    expect(tiles).to_have_count(3)
    expect(page.locator(".tile", has_text="Dr. Paulo")).to_be_visible()
    expect(page.locator(".tile", has_text="Assistant")).to_contain_text("AI")

    # A caption streams in chunks (shown as it comes), then becomes a final line of the log.
    page.evaluate(
        f"""{ROOM}.sendStream('lk.transcription', 'agent-1', ['Bom dia, ', 'como está?'],
            {{'lk.transcribed_track_id': 'TR_paulo_mic', 'lk.segment_id': 'SG_1', 'lk.transcription_final': 'true'}})"""
    )
    captions = page.get_by_role("log", name="Live captions")
    expect(captions.locator("li")).to_have_text(["Dr. Paulo: Bom dia, como está?"])
    expect(page.locator("#captions-empty")).to_be_hidden()

    chat = page.get_by_label("Your question")
    chat.fill("Quais exames devo trazer?")
    chat.press("Enter")
    chat_log = page.get_by_role("log", name="Ask the assistant")
    expect(chat_log.locator("li")).to_have_text(["You: Quais exames devo trazer?"])
    assert page.evaluate(f"{ROOM}.sentTexts") == [{"text": "Quais exames devo trazer?", "topic": "lk.chat"}]
    expect(chat).to_have_value("")
    page.evaluate(f"{ROOM}.sendStream('lk.chat', 'agent-1', ['Traga o hemograma ', 'e a receita.'])")
    expect(chat_log.locator("li").nth(1)).to_have_text("Assistant: Traga o hemograma e a receita.")
    expect(page.locator("#suggestions-panel")).to_be_hidden()
    screenshot(page, "in-meeting")
    assert probe.csp_violations() == [] and probe.page_errors() == []


def test_professional_receives_private_suggestions_with_sources(open_meeting, links):
    link = links.link(links.room(), name="Dra. Lúcia Prado", participant_type=ParticipantType.PROFESSIONAL)
    page, _ = open_meeting(link, locale="pt-BR", password_label="Senha da reunião")

    panel = page.get_by_role("complementary", name="Sugestões privadas")
    expect(panel).to_be_visible()
    suggestion = {
        "text": "Pergunte sobre alergias a medicamentos.",
        "sources": [
            {"document_name": "Protocolo de triagem.pdf", "page": 4},
            {"document_name": "Notas.docx"},
        ],
    }
    page.evaluate(
        f"{ROOM}.sendStream('meetings.suggestions', 'agent-1', [{json.dumps(json.dumps(suggestion))}])"
    )
    page.evaluate(f"{ROOM}.sendStream('meetings.suggestions', 'agent-1', ['not json'])")
    items = panel.locator("li")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Pergunte sobre alergias a medicamentos.")
    expect(items.first).to_contain_text("Fontes: Protocolo de triagem.pdf, p. 4; Notas.docx")
    screenshot(page, "in-meeting-professional-suggestions")


def test_meeting_ended_by_the_organizer_tells_everyone(open_meeting, links):
    link = links.link(links.room())
    page, _ = open_meeting(link)

    page.evaluate(f"{ROOM}.serverDisconnect(5)")  # ROOM_DELETED: the organizer ended it

    expect(page.locator("body")).to_have_attribute("data-state", "ended")
    expect(page.get_by_role("heading", name="This meeting has ended")).to_be_focused()


def test_removed_participant_is_told(open_meeting, links):
    page, _ = open_meeting(links.link(links.room()))

    page.evaluate(f"{ROOM}.serverDisconnect(4)")  # PARTICIPANT_REMOVED

    expect(page.get_by_role("heading", name="You were removed from the meeting")).to_be_visible()


def test_lost_connection_says_so(open_meeting, links):
    page, _ = open_meeting(links.link(links.room()))

    page.evaluate(f"{ROOM}.emit('reconnecting')")
    expect(page.locator("#connection-status")).to_have_text("Connection lost. Reconnecting…")
    expect(page.locator("#announcer")).to_have_text("Connection lost. Reconnecting…")
    page.evaluate(f"{ROOM}.emit('reconnected')")
    expect(page.locator("body")).to_have_attribute("data-state", "in_meeting")
