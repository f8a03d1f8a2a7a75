"""Helpers for pipeline tests: a simulator in the test's loop, settings, and topic readers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import ssl
import sys
import tempfile
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.outputs import FEED_STATUS, Output
from schemas.serde import AvroReader, Registry
from sportsfeed.core.admin import ensure_topics
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import Settings
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed
from sportsfeed.simulator.catalogue import SimFixture
from sportsfeed.simulator.server import FeedSimulator, ServerOptions
from sportsfeed.verbs.progress import GroupWatch

TOKEN = "pipeline-test-token"
PARTITIONS = 3


@contextlib.asynccontextmanager
async def running_simulator(
    fixtures: dict[str, SimFixture], tls: ssl.SSLContext | None = None, **options: Any
) -> AsyncIterator[FeedSimulator]:
    defaults: dict[str, Any] = {"heartbeat_s": 0.3, "close_after_s": 0.2, "media_delay_s": 0.0}
    server = FeedSimulator(fixtures, ServerOptions(tokens=frozenset({TOKEN}), **defaults | options))
    await server.start(tls=tls)
    try:
        yield server
    finally:
        await server.stop()


def environment(
    stack: Endpoints, prefix: str, simulator: FeedSimulator, **extra: str
) -> dict[str, str]:
    fixtures = ",".join(f"{f.sport.slug}:{f.fixture_id}" for f in simulator.fixtures.values())
    return {
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
        "SCHEMA_REGISTRY_URL": stack.registry_url,
        "SPORTSFEED_TOPIC_PREFIX": prefix,
        "SPORTSFEED_PARTITIONS": str(PARTITIONS),
        "SPORTSFEED_FEED_URL": f"ws://127.0.0.1:{simulator.port}",
        "SPORTSFEED_FIXTURES": fixtures,
        "SPORTSFEED_VENDOR_TOKEN": TOKEN,
        "SPORTSFEED_METRICS_PORT": "0",
        "SPORTSFEED_LIVENESS_S": "2",
        **extra,
    }


def settings_from(env: dict[str, str]) -> Settings:
    return Settings(**env)  # type: ignore[arg-type]


async def fresh_topics(stack: Endpoints) -> tuple[str, Topics]:
    prefix = f"t{uuid.uuid4().hex[:10]}."
    topics = Topics(prefix)
    await ensure_topics(stack, topics, PARTITIONS, 1, -1)
    return prefix, topics


@dataclass(frozen=True)
class PublishedFrame:
    """A raw record as read back: its `position` header, the frame's text, every header."""

    position: int
    value: str
    headers: dict[str, bytes]


def reader(stack: Endpoints, *topics: str, isolation: str = "read_committed") -> AIOKafkaConsumer:
    """A consumer of `topics` from the beginning, outside any group, of committed records only
    (the producers write in transactions; a killed or fenced one's open transaction is aborted)
    unless `isolation` says read_uncommitted (as the processors read)."""
    return AIOKafkaConsumer(
        *topics,
        **stack.kafka(
            auto_offset_reset="earliest", enable_auto_commit=False, isolation_level=isolation
        ),
    )


async def read_topic(
    stack: Endpoints, topic: str, idle_ms: int = 1500, isolation: str = "read_committed"
) -> list[Any]:
    """Every record of `topic`, until nothing new arrives for `idle_ms` (bounded: 2 minutes)."""
    consumer = reader(stack, topic, isolation=isolation)
    await consumer.start()
    records: list[Any] = []
    try:
        for _ in range(120_000 // idle_ms):
            batch = await consumer.getmany(timeout_ms=idle_ms)
            if not batch:
                break
            records += [m for messages in batch.values() for m in messages]
    finally:
        await consumer.stop()
    return records


async def read_published(
    stack: Endpoints, topics: Topics
) -> dict[tuple[str, Feed], list[PublishedFrame]]:
    found: dict[tuple[str, Feed], list[PublishedFrame]] = defaultdict(list)
    for feed in Feed:
        for message in await read_topic(stack, topics.raw(feed)):
            headers = dict(message.headers)
            found[message.key.decode(), feed].append(
                PublishedFrame(int(headers["position"]), message.value.decode(), headers)
            )
    return found


async def read_status(stack: Endpoints, topics: Topics) -> list[dict[str, Any]]:
    return [value for _, value in await read_avro(stack, topics.feed_status, FEED_STATUS)]


def assert_raw_is_exactly_the_streams(
    raw: dict[tuple[str, Feed], list[PublishedFrame]], fixtures: dict[str, SimFixture]
) -> None:
    for fixture in fixtures.values():
        for feed in Feed:
            expected = [frame.text for frame in fixture.stream(feed).frames]
            got = raw.get((fixture.fixture_id, feed), [])
            where = f"{fixture.fixture_id} {feed.value}: positions {[r.position for r in got]}"
            assert [r.value for r in got] == expected, where
            assert [r.position for r in got] == list(range(1, len(expected) + 1))


_OUTPUT: dict[int, Path] = {}  # a spawned process's output file, by pid
_OUTPUT_DIR = tempfile.TemporaryDirectory(prefix="sportsfeed-spawned-")  # gone at exit


async def spawn(verb: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    """`sportsfeed VERB` as a child with `env` added, its output in a file (a pipe nobody reads
    while the test waits would fill up and block the child)."""
    handle, name = tempfile.mkstemp(prefix=f"{verb}-", suffix=".log", dir=_OUTPUT_DIR.name)
    with os.fdopen(handle, "wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sportsfeed",
            verb,
            env={**os.environ, **env},
            stdout=output,
            stderr=output,
        )
    _OUTPUT[process.pid] = Path(name)
    return process


def output_of(process: asyncio.subprocess.Process) -> str:
    """What a spawned process printed so far."""
    return _OUTPUT[process.pid].read_text(errors="replace")


async def finish(process: asyncio.subprocess.Process, timeout_s: float) -> str:
    """Wait for a spawned producer to exit by itself; its output. Fails with that output."""
    try:
        await asyncio.wait_for(process.wait(), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(
            f"did not finish in {timeout_s} s:\n{output_of(process)[-6000:]}"
        ) from None
    text = output_of(process)
    assert process.returncode == 0, text[-6000:]
    return text


async def stop(process: asyncio.subprocess.Process, timeout_s: float) -> str:
    """SIGTERM a spawned worker and wait (bounded) for it to exit; its output."""
    if process.returncode is None:
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(
            f"did not stop in {timeout_s} s:\n{output_of(process)[-6000:]}"
        ) from None
    return output_of(process)


async def read_avro(
    stack: Endpoints, topic: str, output: Output[Any]
) -> list[tuple[str, dict[str, Any]]]:
    """(key, decoded value) of every record of an Avro topic, in partition order."""
    reader = AvroReader(output, topic, Registry(stack.registry_url))
    messages = await read_topic(stack, topic)
    return [(m.key.decode(), reader.decode(m.value)) for m in messages]


async def wait_for_records(
    stack: Endpoints,
    topic: str,
    count: int,
    timeout_s: float,
    worker: asyncio.subprocess.Process | None = None,
) -> int:
    """Poll until `topic` holds `count` records (or `worker` exits); how many it held then."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    seen = 0
    consumer = reader(stack, topic)
    await consumer.start()
    try:
        while seen < count and loop.time() < deadline:
            if worker is not None and worker.returncode is not None:
                break
            batch = await consumer.getmany(timeout_ms=500)
            seen += sum(len(messages) for messages in batch.values())
    finally:
        await consumer.stop()
    return seen


async def wait_for_unique(
    stack: Endpoints, topic: str, count: int, timeout_s: float, worker: asyncio.subprocess.Process
) -> int:
    """Poll until `topic` holds records of `count` distinct keys (or `worker` exits)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    keys: set[bytes] = set()
    consumer = reader(stack, topic)
    await consumer.start()
    try:
        while len(keys) < count and loop.time() < deadline and worker.returncode is None:
            batch = await consumer.getmany(timeout_ms=500)
            keys.update(m.key for messages in batch.values() for m in messages)
    finally:
        await consumer.stop()
    return len(keys)


async def wait_until_consumed(
    stack: Endpoints, group: str, topics: list[str], timeout_s: float, worker: Any
) -> bool:
    """Poll until `group` has committed the end of every partition of `topics`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    partitions = [TopicPartition(topic, p) for topic in topics for p in range(PARTITIONS)]
    async with GroupWatch(stack, group, partitions) as watch:
        while loop.time() < deadline and worker.returncode is None:
            if (await watch.progress()).caught_up:
                return True
            await asyncio.sleep(0.5)
    return False


class Supervisor:
    """Keeps one process of a verb running, as an orchestrator would; kills it on request."""

    def __init__(self, verb: str, env: dict[str, str], log: Path) -> None:
        self.verb, self.env, self.log = verb, env, log
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self.done = asyncio.Event()  # the process ended by itself, successfully

    async def run(self) -> None:
        while not self.done.is_set():
            with self.log.open("ab") as out:
                self.process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "sportsfeed",
                    self.verb,
                    env={**os.environ, **self.env},
                    stdout=out,
                    stderr=out,
                )
            code = await self.process.wait()
            if code == 0:
                self.done.set()
            else:
                self.restarts += 1
                await asyncio.sleep(1)

    async def kill(self) -> None:
        """SIGKILL the running process (waiting, bounded, for a restarted one to be up)."""
        for _ in range(50):
            if self.process is not None and self.process.returncode is None:
                self.process.send_signal(signal.SIGKILL)
                return
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        self.done.set()
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 60)


class _Alive:
    """wait_until_consumed wants a process; the supervisor restarts the real one."""

    returncode = None


ALIVE = _Alive()
