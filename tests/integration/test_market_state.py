"""The fail-safe contract, end to end: market-state follows the producer, the processors and the
broker through kills, clean stops and outages, and a pending penalty, as a consumer sees it.

Expected states come from the fault schedule (what was killed, when) and the simulator's truth
(which fixtures are live at that time, where the penalty is), never from the pipeline's output.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from schemas.serde import Registry, micros, parsed_schema
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import SimFixture, generated
from sportsfeed.stack.kafka import KafkaBroker
from tests.integration.pipeline import (
    environment,
    fresh_topics,
    output_of,
    read_status,
    reader,
    running_simulator,
    spawn,
    stop,
)
from tests.processors.streams import penalty_window

LEASE_S = 3.0
Record = dict[str, Any]


@dataclass
class Seen:
    """Every market-state record, with when (monotonic) this consumer saw it."""

    records: list[tuple[float, str, Record]] = field(default_factory=list)

    def latest(self) -> dict[str, Record]:
        return {key: record for _, key, record in self.records}

    def open_by_the_rule(self, key: str) -> bool:
        """The consumer's rule: the latest record says OPEN and its lease has not passed."""
        record = self.latest().get(key)
        return (
            record is not None
            and record["state"] == "OPEN"
            and (micros(record["validUntil"]) > time.time_ns() // 1000)
        )

    def first_after(self, since: float, key: str, wanted: Callable[[Record], bool]) -> float | None:
        return next(
            (at - since for at, k, r in self.records if at >= since and k == key and wanted(r)),
            None,
        )


@contextlib.asynccontextmanager
async def watching(stack: Endpoints, topics: Topics) -> AsyncIterator[Seen]:
    seen, registry, schema = Seen(), Registry(stack.registry_url), parsed_schema("market_state")
    consumer = reader(stack, topics.market_state)
    await consumer.start()

    async def follow() -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=100)
            at = time.monotonic()
            seen.records += [
                (at, m.key.decode(), registry.read(m.value, schema))
                for messages in batch.values()
                for m in messages
            ]

    task = asyncio.create_task(follow())
    try:
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await consumer.stop()


async def until(condition: Callable[[], bool], timeout_s: float, what: str, log: Any) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {timeout_s} s\n{log()[-4000:]}")
        await asyncio.sleep(0.1)


def _fixtures(kickoff_delay_s: float = 0.0) -> dict[str, SimFixture]:
    chosen = [
        generated(Sport.SOCCER, 0, kickoff_delay_s),
        generated(Sport.VOLLEYBALL, 3),
        generated(Sport.TABLE_TENNIS, 4),
    ]
    return {fixture.fixture_id: fixture for fixture in chosen}


@dataclass
class Pipeline:
    """A producer and a worker of one test, restarted as the fault schedule says."""

    env: dict[str, str]
    seen: Seen
    keys: list[str]
    producer: asyncio.subprocess.Process | None = None
    worker: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.producer = await spawn("produce", self.env)
        self.worker = await spawn("process", self.env)

    def logs(self) -> str:
        return "".join(output_of(p) for p in (self.worker, self.producer) if p is not None)

    def every_open(self) -> bool:
        return all(self.seen.open_by_the_rule(key) for key in self.keys)

    async def kill(self, process: asyncio.subprocess.Process | None) -> float:
        assert process is not None
        killed = time.monotonic()
        process.send_signal(signal.SIGKILL)
        await process.wait()
        return killed

    async def stop(self) -> None:
        for process, grace_s in ((self.producer, 30), (self.worker, 40)):
            if process is not None:
                await stop(process, grace_s)


@contextlib.asynccontextmanager
async def running(
    stack: Endpoints, fixtures: dict[str, SimFixture], multiplier: float, data: Path
) -> AsyncIterator[tuple[Pipeline, Topics]]:
    """Simulator, producer and worker on fresh topics, every fixture OPEN; stopped after."""
    prefix, topics = await fresh_topics(stack)
    async with (
        running_simulator(fixtures, multiplier=multiplier) as simulator,
        watching(stack, topics) as seen,
    ):
        env = environment(
            stack, prefix, simulator, SPORTSFEED_DATA_DIR=str(data), SPORTSFEED_LEASE_S=str(LEASE_S)
        )
        run = Pipeline(env, seen, sorted(fixtures))
        try:
            await run.start()
            await until(run.every_open, 60, "every fixture OPEN", run.logs)
            yield run, topics
        finally:
            await run.stop()


def silent(record: Record) -> bool:
    return record["state"] == "SUSPENDED" and "PRODUCER_SILENT" in record["reasons"]


def sequence(record: Record) -> int:
    return int(record["source"]["sequence"]) if record["source"] else 0


async def scoreboard_once_while_live(run: Pipeline) -> None:
    """`scoreboard --once` on a live pipeline, whose records are renewed every second, prints
    every fixture OPEN and ends (it used to wait for a quiet second that never came)."""
    board = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sportsfeed",
        "scoreboard",
        "--once",
        env={**os.environ, **run.env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        shown = (await asyncio.wait_for(board.communicate(), 60))[0].decode()
    finally:
        if board.returncode is None:
            board.kill()
            await board.wait()
    assert board.returncode == 0, shown[-3000:]
    assert sum(" OPEN " in f"{line} " for line in shown.splitlines()) == len(run.keys), shown


async def producer_killed(run: Pipeline) -> None:
    """kill -9: each fixture SUSPENDED(PRODUCER_SILENT) within lease + 1 s; OPEN after a restart."""
    killed = await run.kill(run.producer)
    await until(
        lambda: all(run.seen.first_after(killed, k, silent) is not None for k in run.keys),
        LEASE_S + 5,
        "PRODUCER_SILENT after kill -9",
        run.logs,
    )
    delays = [run.seen.first_after(killed, key, silent) or 0.0 for key in run.keys]
    assert max(delays) < LEASE_S + 1, delays
    run.producer = await spawn("produce", run.env)
    await until(run.every_open, 30, "every fixture OPEN after the restart", run.logs)


async def worker_killed(run: Pipeline) -> None:
    """kill -9 of the processors: the consumer's rule suspends every fixture within the lease."""
    await run.kill(run.worker)
    await until(
        lambda: not any(run.seen.open_by_the_rule(k) for k in run.keys),
        LEASE_S + 1,
        "the consumer's rule suspending after the worker's kill",
        run.logs,
    )
    run.worker = await spawn("process", run.env)
    await until(run.every_open, 60, "every fixture OPEN after the worker's restart", run.logs)


async def producer_stopped(run: Pipeline, stack: Endpoints, topics: Topics) -> None:
    """SIGTERM: DOWN, valid no longer, written before the producer exits; SUSPENDED at once."""
    assert run.producer is not None
    await stop(run.producer, 30)
    last = {str(r["fixtureId"]): r for r in await read_status(stack, topics)}
    for key in run.keys:
        assert {f["state"] for f in last[key]["feeds"]} == {"DOWN"}, last[key]
        assert last[key]["validUntil"] == last[key]["emittedAt"]
    await until(
        lambda: all(silent(run.seen.latest()[k]) for k in run.keys),
        2,
        "SUSPENDED after the clean stop",
        run.logs,
    )
    run.producer = await spawn("produce", run.env)


@pytest.mark.timeout(360)
async def test_market_state_through_producer_kill_worker_kill_clean_stop_and_a_penalty(
    stack: Endpoints, tmp_path: Path
) -> None:
    multiplier = 35.0  # soccer's penalty at match time 3526 s comes about 100 s in
    fixtures = _fixtures()
    soccer = next(f for f in fixtures.values() if f.sport is Sport.SOCCER)
    awarded, decided = penalty_window(soccer)
    assert soccer.stream(Feed.ACTIONS).frames[awarded - 1].at / multiplier > 60
    ends = [f.stream(feed).frames[-1].at / multiplier for f in fixtures.values() for feed in Feed]
    assert min(ends) > 100  # every fixture is live for the faults below
    async with running(stack, fixtures, multiplier, tmp_path) as (run, topics):
        await scoreboard_once_while_live(run)
        await producer_killed(run)
        await worker_killed(run)
        await producer_stopped(run, stack, topics)

        def reopened() -> bool:  # the penalty decided, OPEN again
            return any(
                r["state"] == "OPEN" and sequence(r) >= decided
                for _, k, r in run.seen.records
                if k == soccer.fixture_id
            )

        await until(reopened, 90, "OPEN after the penalty's decision", run.logs)
    records = [r for _, key, r in run.seen.records if key == soccer.fixture_id]
    within = [r for r in records if awarded <= sequence(r) < decided]
    assert within, "no market-state record between the penalty award and its decision"
    assert all(r["state"] == "SUSPENDED" and "PENDING_DECISION" in r["reasons"] for r in within)
    assert all("PENDING_DECISION" not in r["reasons"] for r in records if sequence(r) >= decided)


@pytest.mark.timeout(300)
async def test_a_broker_outage_suspends_by_the_lease_and_reopens_after(
    stack: Endpoints, private_broker: KafkaBroker, tmp_path: Path
) -> None:
    """The broker stopped for 20 s: nothing can be written, the leases run out (the consumer's
    rule suspends every fixture within lease + 1 s and for the whole outage), OPEN after."""
    own = Endpoints(private_broker.bootstrap_servers, stack.registry_url, private_broker.server_log)
    fixtures = _fixtures()
    multiplier = 20.0
    assert (
        min(f.stream(feed).frames[-1].at / multiplier for f in fixtures.values() for feed in Feed)
        > 150
    )
    async with running(own, fixtures, multiplier, tmp_path) as (run, _):
        await asyncio.to_thread(private_broker.stop)
        stopped = time.monotonic()
        suspended = lambda: not any(run.seen.open_by_the_rule(k) for k in run.keys)  # noqa: E731
        await until(suspended, LEASE_S + 1, "suspending in the outage", run.logs)
        while time.monotonic() - stopped < 20:
            assert suspended()
            await asyncio.sleep(0.5)
        await asyncio.to_thread(private_broker.start)
        await until(run.every_open, 90, "every fixture OPEN after the outage", run.logs)
