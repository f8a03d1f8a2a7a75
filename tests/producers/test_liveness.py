"""The producer's lease on feed-status records, and what a clean stop leaves behind."""

from __future__ import annotations

import uuid
from collections import Counter

from producers.liveness import RENEWAL_SLOTS, STOPPED, Lease, release, renewal_slot
from producers.protocol import StreamId
from producers.status import FixtureStatus, State
from sportsfeed.core.vendor import Channel, Feed, Sport

FIXTURE = "5d9ab1f0-3a52-4d8e-9d0c-2e8f9a7b6c11"


def test_a_record_is_valid_for_the_lease_or_no_longer_once_released() -> None:
    lease = Lease("host-1-abc", 3.0)
    renewed: dict[str, object] = {}
    lease.stamp(renewed, 10_000_000)
    assert renewed == {"producerId": "host-1-abc", "validUntil": 13_000_000}
    released: dict[str, object] = {}
    lease.stamp(released, 10_000_000, released=True)
    assert released["validUntil"] == 10_000_000


def test_a_clean_stop_leaves_down_except_what_finished() -> None:
    status = FixtureStatus(Channel.BETTING)
    actions, statistics = (StreamId(FIXTURE, Sport.SOCCER, feed) for feed in Feed)
    status.enter(actions, State.LIVE, 1)
    status.enter(statistics, State.FINISHED, 2)
    release(status, [actions, statistics], 5)
    assert status.feeds[Feed.ACTIONS].state is State.DOWN
    assert status.feeds[Feed.ACTIONS].reason == STOPPED
    assert status.feeds[Feed.STATISTICS].state is State.FINISHED


def test_renewals_are_spread_over_the_second() -> None:
    """500 fixtures fill every slot of the second near evenly (a burst of all of them once a
    second held up the frames behind it), each fixture in the same slot every time."""
    fixtures = [str(uuid.UUID(int=n * 7_919_001)) for n in range(500)]
    slots = Counter(renewal_slot(fixture) for fixture in fixtures)
    assert sorted(slots) == list(range(RENEWAL_SLOTS))
    assert max(slots.values()) <= 2 * 500 // RENEWAL_SLOTS
    assert [renewal_slot(f) for f in fixtures] == [renewal_slot(f) for f in reversed(fixtures)][
        ::-1
    ]
