"""After a rebalance: commits cover what was processed, and records are processed in order."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from faust.transport.drivers.aiokafka import Consumer
from faust.types import TP
from intervaltree import IntervalTree

from processors.gapless import GaplessApp, GaplessConsumer
from processors.resume import Resumes
from processors.skipped import Markers
from sportsfeed.core.vendor import Feed

PARTITION = TP("sportsfeed.raw.actions", 0)


def _after_a_rebalance(cls: type[Any]) -> int | None:
    """The offset a consumer would commit in the situation a rebalance leaves behind.

    Offsets 1570-1600 were delivered and acknowledged; 1570 is committed. A rebalance reset the
    read position to 1570 while a record fetched before it, 1583, was still on its way, so
    Faust's fetch loop reported 1571-1583 as a gap (as `_drain_messages` does).
    """
    consumer = object.__new__(cls)  # only the commit bookkeeping, no Kafka connection
    consumer._acked = defaultdict(list)
    consumer._acked_index = defaultdict(set)
    consumer._gap = defaultdict(IntervalTree)
    consumer._committed_offset = defaultdict(lambda: None)
    consumer._committed_offset[PARTITION] = 1570
    consumer.markers = Markers()
    for offset in range(1570, 1601):
        consumer._acked[PARTITION].append(offset)
        consumer._acked_index[PARTITION].add(offset)
    asyncio.run(consumer._add_gap(PARTITION, 1571, 1583))
    return consumer._new_offset(PARTITION)  # type: ignore[no-any-return]


def test_the_processor_commits_everything_acknowledged_after_a_rebalance() -> None:
    assert _after_a_rebalance(GaplessConsumer) == 1601


def _committing(cls: type[Any], committed: int, acked: list[int], markers: set[int]) -> list[int]:
    """The offsets a consumer commits one after another, `acked` acknowledged and `markers`
    learned (transaction markers: offsets no record is at)."""
    consumer = object.__new__(cls)  # only the commit bookkeeping, no Kafka connection
    consumer._acked = defaultdict(list, {PARTITION: list(acked)})
    consumer._acked_index = defaultdict(set, {PARTITION: set(acked)})
    consumer._gap = defaultdict(IntervalTree)
    consumer._committed_offset = defaultdict(lambda: None, {PARTITION: committed})
    consumer.markers = Markers()
    consumer.markers.add(PARTITION.topic, PARTITION.partition, markers)
    commits = []
    while (offset := consumer._new_offset(PARTITION)) is not None and len(commits) < 10:
        commits.append(offset)
        consumer._committed_offset[PARTITION] = offset
    return commits


def test_one_commit_passes_every_transaction_marker_between_acknowledged_records() -> None:
    acked = [*range(100, 105), *range(106, 110), *range(111, 116)]  # 105 and 110: markers
    assert _committing(GaplessConsumer, 100, acked, {105, 110}) == [116]
    assert _committing(Consumer, 100, acked, {105, 110}) == [105, 110, 116]  # Faust: one each


def test_adjacent_markers_do_not_stop_the_commits() -> None:
    """A producer killed after registering a partition in its transaction, before writing to
    it: the abort marker follows the last commit's marker (seen as 12 and 13 below)."""
    acked = [*range(10, 12), *range(14, 20)]
    assert _committing(GaplessConsumer, 10, acked, {12, 13}) == [20]
    assert _committing(Consumer, 10, acked, {12, 13}) == [12]  # and never again
    assert _committing(GaplessConsumer, 12, acked[2:], {12, 13}) == [20]  # resumed at markers


def test_an_offset_neither_acknowledged_nor_a_marker_holds_the_commits() -> None:
    assert _committing(GaplessConsumer, 10, [*range(12, 20)], {11}) == []  # 10 in flight


def test_faust_alone_commits_almost_nothing_then() -> None:
    """The upstream behaviour the processor works around; when this fails, Faust fixed it."""
    committed = _after_a_rebalance(Consumer)
    assert committed is not None
    assert committed < 1601


class _Committed:
    """The group's committed offset of every partition, as Kafka would answer; the questions."""

    def __init__(self, offset: int | None) -> None:
        self.offset = offset
        self.asked: list[set[tuple[str, int]]] = []

    async def committed(self, tps: list[TP]) -> dict[TP, int | None]:
        self.asked.append({(tp.topic, tp.partition) for tp in tps})
        return dict.fromkeys(tps, self.offset)


class _Records:
    """Which offsets of the partition hold records, as Kafka would answer; the others are the
    markers the producers' transactions leave."""

    def __init__(self, markers: set[int], start: int) -> None:
        self.markers, self.start = markers, start
        self.asked: list[set[tuple[str, int]]] = []

    async def log_starts(self, tps: list[TP]) -> dict[TP, int]:
        self.asked.append({(tp.topic, tp.partition) for tp in tps})
        return dict.fromkeys(tps, self.start)

    async def first_record(self, _tp: object, offset: int, before: int) -> int | None:
        return next((n for n in range(offset, before) if n not in self.markers), None)


def _resumes(
    committed: int | None, markers: frozenset[int] = frozenset(), start: int = 0
) -> Resumes:
    feeds = {"sportsfeed.raw.actions": Feed.ACTIONS}
    resumes = Resumes({}, feeds, _Committed(committed), _Records(set(markers), start))  # type: ignore[arg-type]
    resumes.on_assigned({PARTITION})
    return resumes


def _handed_over(resumes: Resumes, offset: int, partition: TP = PARTITION) -> int | None:
    """Where the partition must be sought back to, or None: process it (and note it done)."""
    topic, number = partition.topic, partition.partition
    message = SimpleNamespace(topic=topic, partition=number, offset=offset, tp=partition)
    consumer = SimpleNamespace(markers=Markers())  # nothing learned: every jump is asked
    missing = asyncio.run(resumes.missing_before(message, consumer))  # type: ignore[arg-type]
    if missing is None:
        resumes.positions[topic, number] = offset  # as the deriver does
    return missing


def test_a_partition_resumes_at_its_committed_offset_one_offset_at_a_time() -> None:
    resumes = _resumes(committed=169)
    # a batch fetched before the seek arrives first: held back until 169 comes
    assert [_handed_over(resumes, n) for n in (177, 178)] == [169, 169]
    assert [_handed_over(resumes, n) for n in (169, 170, 171)] == [None, None, None]
    assert _handed_over(resumes, 173) == 172  # a record skipped within the generation
    assert [_handed_over(resumes, n) for n in (172, 173, 170)] == [None, None, None]  # repeats too


def test_with_nothing_committed_a_partition_resumes_at_its_start() -> None:
    """A group that never committed reads from the log's start; records before the first one
    handed over after a rebalance were released unprocessed while it rebalanced (a second
    replay worker joining lost 66 records to this)."""
    resumes = _resumes(committed=None, start=30)
    assert _handed_over(resumes, 304) == 30
    assert [_handed_over(resumes, n) for n in (30, 31, 32)] == [None, None, None]


def test_with_nothing_committed_the_log_start_itself_goes_on() -> None:
    resumes = _resumes(committed=None, start=40, markers=frozenset({40}))
    assert [_handed_over(resumes, n) for n in (41, 42)] == [None, None]  # 40: a marker
    assert _handed_over(resumes, 44) == 43


def test_kafka_is_asked_once_where_all_the_assigned_partitions_resume() -> None:
    """One question per partition, each waiting on Kafka in turn, held a starting worker's
    first records up for seconds; and a rebalance asks again."""
    feeds = {"sportsfeed.raw.actions": Feed.ACTIONS, "sportsfeed.raw.statistics": Feed.STATISTICS}
    assigned = {TP(topic, n) for topic in feeds for n in range(4)}
    committed, records = _Committed(None), _Records(set(), start=12)
    resumes = Resumes({}, feeds, committed, records)  # type: ignore[arg-type]
    resumes.on_assigned(assigned | {TP("sportsfeed.fixtures-changelog", 0)})
    everything = {(tp.topic, tp.partition) for tp in assigned}
    assert [_handed_over(resumes, 14, tp) for tp in sorted(assigned)] == [12] * 8
    after = [_handed_over(resumes, n, tp) for tp in sorted(assigned) for n in (12, 13)]
    assert after == [None] * 16
    assert committed.asked == [everything]
    assert records.asked == [everything]  # nothing committed: each from the log's start
    resumes.on_assigned(assigned)  # a rebalance: where each resumes is asked again
    assert _handed_over(resumes, 14, TP("sportsfeed.raw.actions", 0)) == 12
    assert committed.asked == [everything, everything]


def test_a_transaction_marker_is_no_skipped_record() -> None:
    resumes = _resumes(committed=169, markers=frozenset({172, 180, 181}))
    assert [_handed_over(resumes, n) for n in (169, 170, 171, 173)] == [None] * 4
    assert _handed_over(resumes, 182) == 174  # records 174-179 skipped, not only the markers
    assert [_handed_over(resumes, n) for n in range(174, 180)] == [None] * 6
    assert _handed_over(resumes, 182) is None


def test_a_partition_resuming_at_a_marker_goes_on_at_the_next_record() -> None:
    resumes = _resumes(committed=172, markers=frozenset({172}))
    assert [_handed_over(resumes, n) for n in (173, 174)] == [None, None]


def test_a_rebalance_without_faust_s_monitor_logs_no_warning(caplog: Any) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # the one Faust's services take
    try:
        app = GaplessApp("rebalance-test", fetch_max_wait_ms=10, loop=loop)
        for sensor in list(app.sensors):  # as its start leaves them: the Monitor taken out
            app.sensors.remove(sensor)
        app.on_rebalance_start()
        app.on_rebalance_return()
        app.on_rebalance_end()
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
