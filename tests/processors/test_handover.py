"""Fetched records handed to the agent in runs give the same records as one at a time."""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace

from faust.types import TP

from processors.gapless import GaplessConsumer
from processors.handover import HANDOVER_BATCH
from sportsfeed.core.vendor import Sport
from sportsfeed.simulator.catalogue import SimFixture, generate_catalogue
from tests.processors.streams import Raw, Run, interleaved, run

PARTITIONS = 3
Record = tuple[TP, SimpleNamespace]


def _records(fixtures: dict[str, SimFixture]) -> list[Record]:
    """Every fixture's frames as raw records, fixtures taking turns, offsets per partition."""
    streams = [(key, n % PARTITIONS, interleaved(f)) for n, (key, f) in enumerate(fixtures.items())]
    offsets: dict[int, int] = defaultdict(int)
    records = []
    for step in range(max(len(frames) for *_, frames in streams)):
        for key, partition, frames in streams:
            if step < len(frames):
                tp = TP("sportsfeed.raw", partition)
                message = SimpleNamespace(
                    tp=tp, offset=offsets[partition], key=key, value=frames[step]
                )
                offsets[partition] += 1
                records.append((tp, message))
    return records


class _Agent:
    """The agent's channel of runs: each run passed on is taken at once."""

    topics = frozenset({"sportsfeed.raw"})

    def __init__(self, take: Callable[[list[SimpleNamespace]], Awaitable[None]]) -> None:
        self.take = take

    async def put(self, records: list[SimpleNamespace]) -> None:
        await self.take(records)


async def _one_at_a_time(message: SimpleNamespace) -> None:
    raise AssertionError(f"a raw record handed over alone: {message}")


async def _fetched(records: list[Record], refetch_at: int) -> AsyncIterator[Record]:
    """The records, with a stretch of one partition fetched again after a seek back."""
    for n, record in enumerate(records):
        yield record
        if n == refetch_at:
            again = [r for r in records[:n] if r[0] == record[0]][-40:]
            for stale in again:
                yield stale


async def _hand_over(
    fixtures: dict[str, SimFixture], records: list[Record]
) -> tuple[dict[str, Run], list[Record], list[int]]:
    """Each fixture's run of the pure core over the records the consumer handed over, the
    records in the order handed over, and how many were handed over per turn of the loop."""
    runs = {key: Run() for key in fixtures}
    handed: list[Record] = []
    per_turn: list[int] = [0]

    async def derive(run_of_records: list[SimpleNamespace]) -> None:  # the agent, a run a turn
        assert len(run_of_records) <= HANDOVER_BATCH
        for message in run_of_records:
            raw: Raw = message.value
            run(fixtures[message.key], [raw], into=runs[message.key])
            handed.append((message.tp, message))
            per_turn[-1] += 1

    async def turns() -> None:
        while True:
            await asyncio.sleep(0)
            per_turn.append(0)

    consumer = object.__new__(GaplessConsumer)  # only the hand-over, no Kafka connection
    consumer.runs = _Agent(derive)  # type: ignore[assignment]
    consumer.callback = _one_at_a_time
    consumer._read_offset = defaultdict(lambda: None)
    consumer.suspend_flow = asyncio.Event()
    consumer._commit_every = None
    ticking = asyncio.create_task(turns())
    await asyncio.sleep(0)
    await consumer._hand_over(_fetched(records, refetch_at=len(records) // 2))
    ticking.cancel()
    return runs, handed, [n for n in per_turn if n]


def test_records_handed_over_in_runs_derive_what_one_at_a_time_derives() -> None:
    fixtures = generate_catalogue(10, seed=18)
    assert {f.sport for f in fixtures.values()} == set(Sport)
    records = _records(fixtures)
    runs, handed, per_turn = asyncio.run(_hand_over(fixtures, records))

    # Each record once, in its partition's order: the stale re-fetched stretch is dropped.
    assert [(tp, m.offset) for tp, m in handed] == [(tp, m.offset) for tp, m in records]
    for key, fixture in fixtures.items():
        one_by_one = run(fixture, interleaved(fixture))
        assert one_by_one.outputs, key
        assert runs[key].outputs == one_by_one.outputs, key
        assert runs[key].state == one_by_one.state, key
    # In runs: the agent gets up to HANDOVER_BATCH records per turn of the loop, not one.
    assert max(per_turn) == HANDOVER_BATCH
    assert len(per_turn) <= math.ceil(len(records) / HANDOVER_BATCH) + 1


def _seek_during_a_fetch(in_runs: bool) -> tuple[GaplessConsumer, list[tuple[int, int]]]:
    """Two partitions fetched together; the agent seeks the first back to offset 5 when it
    takes its record 303, then the records from 5 on are fetched again. The records handed
    over (partition, offset) in both fetches, and the consumer."""
    sought, other = TP("sportsfeed.raw", 0), TP("sportsfeed.raw", 1)
    consumer = object.__new__(GaplessConsumer)  # only the hand-over, no Kafka connection
    consumer._read_offset = defaultdict(lambda: None)
    consumer.suspend_flow = asyncio.Event()
    handed: list[tuple[int, int]] = []

    async def derive(message: SimpleNamespace) -> None:
        handed.append((message.tp.partition, message.offset))
        if (message.tp, message.offset) == (sought, 303):
            consumer._read_offset[sought] = 5  # as Faust's seek(tp, 5) leaves it

    async def derive_run(records: list[SimpleNamespace]) -> None:
        for message in records:
            await derive(message)

    async def fetched(offsets: range) -> AsyncIterator[Record]:
        for offset in offsets:
            yield sought, SimpleNamespace(tp=sought, offset=offset)
            yield other, SimpleNamespace(tp=other, offset=offset)

    consumer.callback = derive  # one at a time, as a topic not taken in runs
    if in_runs:
        consumer.runs = _Agent(derive_run)  # type: ignore[assignment]
        consumer.callback = _one_at_a_time
    asyncio.run(consumer._hand_over(fetched(range(300, 300 + HANDOVER_BATCH + 20))))
    asyncio.run(consumer._hand_over(fetched(range(5, 8))))  # fetched again after the seek
    return consumer, handed


def test_a_seek_during_a_run_leaves_the_runs_later_records_to_the_fetch_after_it() -> None:
    """The agent seeks a partition back while a fetch is still being handed over (it asks for
    a skipped record again): the fetch's later records of that partition are from before the
    seek and stay out, and the read position stays where the seek put it, so the records
    fetched again are handed over, not dropped as seen (which stopped the commits)."""
    consumer, handed = _seek_during_a_fetch(in_runs=False)
    after = list(range(300, 300 + HANDOVER_BATCH + 20))
    assert [o for p, o in handed if p == 0] == [300, 301, 302, 303, 5, 6, 7]
    assert [o for p, o in handed if p == 1] == after  # its 5 to 7: before its position
    assert consumer._read_offset[TP("sportsfeed.raw", 0)] == 7

    # In runs, the seek comes while the agent takes the first run (the fetch's first
    # HANDOVER_BATCH records, offsets 300 to 349 of each partition): that run's later
    # records of the partition are the agent's to release, the fetch's rest stays out.
    consumer, handed = _seek_during_a_fetch(in_runs=True)
    first_run = list(range(300, 300 + HANDOVER_BATCH // 2))
    assert [o for p, o in handed if p == 0] == [*first_run, 5, 6, 7]
    assert [o for p, o in handed if p == 1] == after  # its 5 to 7: before its position
    assert consumer._read_offset[TP("sportsfeed.raw", 0)] == 7
