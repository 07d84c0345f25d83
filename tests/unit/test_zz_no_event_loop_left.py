"""Runs late in the suite: no earlier test may leave an event loop running in the main thread."""

import asyncio


def test_no_event_loop_is_left_running():
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    assert loop is None


async def test_async_tests_still_run():
    await asyncio.sleep(0)
