"""Fixtures of the webhook tests, registered for every test directory by the root conftest.

- `receiver`: a started `Receiver` on 127.0.0.1 (tests/notifications/receiver.py).
- `allow_loopback`: WEBHOOKS_ALLOW_LOOPBACK=true for the test, as in development.
"""

import pytest

from tests.notifications.receiver import Receiver


@pytest.fixture
def allow_loopback(monkeypatch):
    from meetings.settings import get_settings

    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "true")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("WEBHOOKS_ALLOW_LOOPBACK")
    get_settings.cache_clear()


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()
