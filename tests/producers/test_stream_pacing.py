"""The reconnect pacing of `producers.stream`: Backoff's delays and the shared RateLimiter.

Expected delays are worked by hand from the documented rules: Backoff doubles a ceiling from
0.5 s up to 30 s and draws each delay between half the ceiling and the ceiling; RateLimiter
lets one connection attempt through per 1/`per_second` seconds, with no credit saved while idle.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from producers.stream import Backoff, RateLimiter

DEFAULT_CEILINGS = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
EARLY_S = 0.001  # a timer may fire this much before its time (clock resolution and rounding)


def delays(backoff: Backoff, count: int) -> list[float]:
    return [backoff.next() for _ in range(count)]


@pytest.mark.parametrize(
    ("limits", "ceilings"),
    [
        ({}, DEFAULT_CEILINGS),
        ({"first_s": 0.1, "limit_s": 1.0}, [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]),
    ],
    ids=["default", "0.1-to-1"],
)
def test_backoff_doubles_up_to_its_limit_with_jitter(
    limits: dict[str, float], ceilings: list[float]
) -> None:
    draws = [delays(Backoff(**limits), len(ceilings)) for _ in range(300)]
    for attempt, ceiling in enumerate(ceilings):
        seen = [draw[attempt] for draw in draws]
        assert all(ceiling / 2 <= delay <= ceiling for delay in seen), (attempt, ceiling)
        assert max(seen) - min(seen) > ceiling / 4  # jittered, not one fixed delay


def test_backoff_starts_again_from_the_first_delay_after_a_reset() -> None:
    backoff = Backoff()
    assert delays(backoff, 6)[-1] >= 8.0  # the sixth: between 8 and 16 s
    backoff.reset()
    assert 0.25 <= backoff.next() <= 0.5
    assert 0.5 <= backoff.next() <= 1.0


def test_backoff_stays_bounded_however_long_the_failures_last() -> None:
    backoff = Backoff()
    # a day of failures at up to 30 s apart is several thousand attempts
    assert all(15.0 <= delay <= 30.0 for delay in delays(backoff, 5000)[10:])


async def released_at(limiter: RateLimiter, waiters: int) -> list[float]:
    """When each of `waiters` concurrent waits returned (monotonic), in order."""

    async def wait() -> float:
        await limiter.wait()
        return time.monotonic()

    return sorted(await asyncio.gather(*(wait() for _ in range(waiters))))


async def test_rate_limiter_spaces_concurrent_attempts_one_interval_apart() -> None:
    limiter = RateLimiter(per_second=10)  # one attempt per 0.1 s
    start = time.monotonic()
    releases = [t - start for t in await released_at(limiter, 4)]
    for n, release in enumerate(releases):
        assert release >= n * 0.1 - EARLY_S, (n, releases)
    assert releases[-1] < 0.3 + 1.0  # generous: the machine may be busy


async def test_rate_limiter_saves_no_burst_while_idle() -> None:
    limiter = RateLimiter(per_second=10)
    await limiter.wait()
    await asyncio.sleep(0.5)  # five intervals unused: none of them may be spent later
    start = time.monotonic()
    releases = [t - start for t in await released_at(limiter, 3)]
    for n, release in enumerate(releases):
        assert release >= n * 0.1 - EARLY_S, (n, releases)
