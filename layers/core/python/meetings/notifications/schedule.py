"""When a failed delivery is tried again: exponential backoff from 5 s (x3, capped at 12 h) for ~3 days."""

from datetime import timedelta

FIRST_DELAY = timedelta(seconds=5)
FACTOR = 3
MAX_DELAY = timedelta(hours=12)
WINDOW = timedelta(days=3)


def _delays() -> tuple[timedelta, ...]:
    delays, total, delay = [], timedelta(0), FIRST_DELAY
    while total < WINDOW:
        delays.append(min(delay, MAX_DELAY))
        total += delays[-1]
        delay *= FACTOR
    return tuple(delays)


# RETRY_DELAYS[n - 1] is the wait after the n-th failed attempt; after the last one the delivery fails.
RETRY_DELAYS = _delays()
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def next_delay(failed_attempts: int) -> timedelta | None:
    """The wait before the next attempt after `failed_attempts` failures, or None when it is time to stop."""
    if failed_attempts < 1 or failed_attempts > len(RETRY_DELAYS):
        return None
    return RETRY_DELAYS[failed_attempts - 1]
