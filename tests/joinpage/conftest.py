"""Fixtures for the join page: the built bundle, a live server, committed links and headless Chromium."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.joinpage.support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    LinkFactory,
    LiveServer,
    free_port,
    session_maker,
)

BUNDLE_MANIFEST = (
    Path(__file__).resolve().parents[2]
    / "layers/core/python/meetings/secretary/joinpage/static/manifest.json"
)


@pytest.fixture(scope="session", autouse=True)
def built_bundle() -> None:
    """The page needs its bundle: `make install` builds it (npm ci && npm run build in web/)."""
    if not BUNDLE_MANIFEST.is_file():
        pytest.fail(
            "the join page bundle is not built: run `make install` (or `npm ci && npm run build` in web/)"
        )


@pytest.fixture
def links(owner_engine) -> Iterator[LinkFactory]:
    """Committed rows for one test, deleted after it (other suites must not see them); written by the
    owner, since no service role may delete rooms. The server under test serves as the app role."""
    factory = LinkFactory(session_maker(owner_engine))
    yield factory
    factory.cleanup()


@pytest.fixture(scope="session")
def live_server(engine, database_url) -> Iterator[LiveServer]:
    """The platform with LIVEKIT_URL on a closed local port: no LiveKit server can be reached."""
    server = LiveServer(
        database_url=os.environ["DATABASE_URL"],
        env={"LIVEKIT_URL": f"ws://127.0.0.1:{free_port()}"},
        log_path=ARTIFACTS / "server.log",
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def livekit_api_server(engine) -> Iterator[LiveServer]:
    """The platform with LiveKit's server API answered by the local Twirp stand-in (rooms can be
    created and deleted) while browsers still cannot open a media connection to it."""
    from devserver.livekit_api import LiveKitStandIn

    key, secret = "joinpage-key", "joinpage-secret-0123456789abcdef0123"
    stand_in = LiveKitStandIn(api_key=key, api_secret=secret).start()
    server = LiveServer(
        database_url=os.environ["DATABASE_URL"],
        env={"LIVEKIT_URL": stand_in.url, "LIVEKIT_API_KEY": key, "LIVEKIT_API_SECRET": secret},
        log_path=ARTIFACTS / "server-livekit-api.log",
    ).start()
    server.stand_in = stand_in
    yield server
    server.stop()
    stand_in.stop()


# Package scope: Playwright's sync API keeps an event loop running in the main thread until it stops,
# which would break every asyncio test collected after this package.
@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: browser tests need Debian's chromium (apt-get install -y chromium)"
        )
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


class PageProbe:
    """Console messages and failed requests of one page, to assert the page stayed clean."""

    def __init__(self, page) -> None:
        self.console: list[str] = []
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def csp_violations(self) -> list[str]:
        return [line for line in self.console if "Content Security Policy" in line]

    def page_errors(self) -> list[str]:
        return [line for line in self.console if line.startswith("pageerror")]


@pytest.fixture
def open_page(browser):
    """open_page(url, locale=, viewport=, media=, timezone=) -> (page, probe); contexts closed afterwards."""
    contexts = []

    def open_(url: str, *, locale="en-US", viewport=None, media=True, timezone="America/Sao_Paulo"):
        context = browser.new_context(
            locale=locale,
            timezone_id=timezone,
            viewport=viewport or {"width": 1280, "height": 800},
            permissions=["camera", "microphone"] if media else [],
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        probe = PageProbe(page)
        page.goto(url)
        return page, probe

    yield open_
    for context in contexts:
        context.close()
