"""Lag and stall: what the lag gauges show, and when a worker counts as stuck."""

from __future__ import annotations

import asyncio

from faust.types import TP

from processors.lag import Lag, stalled
from processors.metrics import Metrics
from sportsfeed.core.vendor import Feed

ACTIONS, STATISTICS = "sf.raw.actions", "sf.raw.statistics"
FEEDS = {ACTIONS: Feed.ACTIONS, STATISTICS: Feed.STATISTICS}


class _Consumer:
    """A consumer's view of its partitions: high watermarks and committed offsets."""

    def __init__(self, highwater: dict[TP, int], committed: dict[TP, int | None]) -> None:
        self.highwaters, self.committed = highwater, committed

    def assignment(self) -> set[TP]:
        return set(self.highwaters)

    def highwater(self, tp: TP) -> int | None:
        return self.highwaters.get(tp)

    def committed_offset(self, tp: TP) -> int | None:
        return self.committed.get(tp)


class _Records:
    """Which offsets hold records; the others are transaction markers."""

    def __init__(self, records: set[int]) -> None:
        self.records = records

    async def first_record(self, _tp: object, offset: int, before: int) -> int | None:
        return next((n for n in range(offset, before) if n in self.records), None)


A0, S1, CHANGELOG, A2 = (
    TP(ACTIONS, 0),
    TP(STATISTICS, 1),
    TP("sf-fixtures-changelog", 0),
    TP(ACTIONS, 2),
)


def _lag(
    positions: dict[tuple[str, int], int], records: frozenset[int] = frozenset()
) -> tuple[Lag, Metrics]:
    metrics = Metrics()
    return Lag(positions, FEEDS, metrics, _Records(set(records))), metrics  # type: ignore[arg-type]


def test_behind_counts_records_waiting_and_records_processed_but_not_committed() -> None:
    lag, metrics = _lag({(ACTIONS, 0): 99, (STATISTICS, 1): 199})
    consumer = _Consumer(
        {A0: 150, S1: 200, CHANGELOG: 1_000, A2: 30},  # A2: nothing processed yet
        {A0: 90, S1: 200, CHANGELOG: 0, A2: None},
    )
    # A0: 100-149 waiting (50), 90-99 processed, not committed (10); S1: all done
    assert lag.update(consumer) == (60, True)  # type: ignore[arg-type]

    def gauge(topic: str, partition: str) -> float | None:
        labels = {"topic": topic, "partition": partition}
        return metrics.registry.get_sample_value("sportsfeed_processor_lag", labels)

    assert (gauge(ACTIONS, "0"), gauge(STATISTICS, "1")) == (50, 0)
    assert (gauge(ACTIONS, "2"), gauge("sf-fixtures-changelog", "0")) == (None, None)


def test_a_commit_is_progress() -> None:
    lag, _ = _lag({(ACTIONS, 0): 99})
    consumer = _Consumer({A0: 100, CHANGELOG: 500}, {A0: 90, CHANGELOG: 400})
    assert lag.update(consumer) == (10, True)  # type: ignore[arg-type]  # first look
    assert lag.update(consumer) == (10, False)  # type: ignore[arg-type]
    consumer.committed[CHANGELOG] = 500  # the table's changelog: not the raw records' progress
    assert lag.update(consumer) == (10, False)  # type: ignore[arg-type]
    consumer.committed[A0] = 95
    assert lag.update(consumer) == (5, True)  # type: ignore[arg-type]


def test_stalled_only_with_records_behind_and_no_progress_beyond_the_limit() -> None:
    assert not stalled(0, progressed_at=0.0, now=1_000.0, limit_s=60.0)  # nothing to do
    assert not stalled(5, progressed_at=100.0, now=160.0, limit_s=60.0)  # at the limit
    assert stalled(5, progressed_at=100.0, now=160.5, limit_s=60.0)


def test_transaction_markers_past_the_last_record_are_nothing_behind() -> None:
    lag, _ = _lag({(ACTIONS, 0): 99}, records={99})  # 100-102: markers
    consumer = _Consumer({A0: 103}, {A0: 100})
    assert asyncio.run(lag.behind(consumer)) is False  # type: ignore[arg-type]
    lag.probe.records.add(101)  # type: ignore[attr-defined]
    assert asyncio.run(lag.behind(consumer)) is True  # type: ignore[arg-type]
    consumer.highwaters[A0], consumer.committed[A0] = 100, 95  # processed, not committed
    assert asyncio.run(lag.behind(consumer)) is True  # type: ignore[arg-type]
