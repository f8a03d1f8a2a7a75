"""Processor (I/O): market-state, the thin shell around `derive.market_state.step`.

One `MarketBook` per worker holds a `Market` per fixture of its partitions, fed by three
inputs: the frames the deriving agent applies (their facts travel with the fixture's table
state), the producers' feed-status records, and a timer every `TICK_S` that suspends a fixture
whose lease ran out without any new input. Records go to market-state, keyed by fixtureId.

feed-status is read by a plain consumer of the partitions the worker holds, from a lease back:
liveness needs no older history (every live fixture renews within a second) and no committed
offsets (a compacted topic's holes would stall the gapless commits of the raw topics).
Market state is live only: a replay into another prefix does not write it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Final

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition

from processors.derive.fixture import FixtureState
from processors.derive.market_state import (
    OPEN,
    SUSPENDED,
    Event,
    Frames,
    Liveness,
    Market,
    Tick,
    step,
)
from processors.faust_internals import aiokafka_producer
from processors.metrics import Metrics
from schemas import records
from schemas.outputs import MARKET_STATE, Output
from schemas.serde import AvroWriter, Registry, parsed_schema
from sportsfeed.core.kafka_clients import Endpoints, partition_of
from sportsfeed.core.settings import ProcessorSettings
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed

log = logging.getLogger(__name__)
TICK_S: Final = 0.25  # a lease's end is acted on within this (plus the loop's own delay)
FORGET_S: Final = 60.0  # a fixture suspended and silent this long is no longer held
LIVENESS_RUN: Final = 50  # liveness records taken between two yields to the loop


def now_us() -> int:
    return time.time_ns() // 1000


@dataclass
class MarketBook:
    """Every fixture this worker holds: its evidence and the state last written."""

    codec: AvroWriter[records.MarketState]
    fixture_state: Callable[[bytes], FixtureState]  # the deriving agent's, for a first sight
    partitions: int
    lease_s: float
    markets: dict[bytes, Market] = field(default_factory=dict)

    def apply(self, key: bytes, event: Event, now: int) -> list[bytes]:
        """The fixture's market after `event`; the encoded records it needs."""
        market = self.markets.get(key) or self._first_sight(key, now)
        market, outputs = step(market, event, now)
        self.markets[key] = market
        return [self.codec.encode(output) for output in outputs]

    def after_frame(self, key: bytes, state: FixtureState, source: records.Source) -> list[bytes]:
        return self.apply(key, Frames(state.facts, state.finished, source), now_us())

    def tick(self, now: int) -> list[tuple[bytes, bytes]]:
        """Leases that ran out; fixtures silent long enough are forgotten."""
        sent = [
            (key, value) for key in list(self.markets) for value in self.apply(key, Tick(), now)
        ]
        for key in [key for key, market in self.markets.items() if _forgotten(market, now)]:
            del self.markets[key]
        return sent

    def keep(self, partitions: set[int]) -> None:
        """After a rebalance: only the fixtures of the worker's partitions."""
        for key in [key for key in self.markets if self.partition_of(key) not in partitions]:
            del self.markets[key]

    def partition_of(self, key: bytes) -> int:
        return partition_of(key, self.partitions)

    def counts(self) -> Counter[str]:
        return Counter(market.state for market in self.markets.values() if market.state)

    def _first_sight(self, key: bytes, now: int) -> Market:
        state = self.fixture_state(key)
        return Market(
            key.decode(), state.facts, state.finished, quiet_until_us=now + int(self.lease_s * 1e6)
        )


def _forgotten(market: Market, now: int) -> bool:
    if market.state != SUSPENDED:
        return False
    silent_since = market.liveness.valid_until_us if market.liveness else None
    return now - (silent_since or market.quiet_until_us) >= FORGET_S * 1e6


class LivenessReader:
    """feed-status of the worker's partitions, from a lease back, into the book."""

    def __init__(self, endpoints: Endpoints, topic: str, registry: Registry, lease_s: float):
        self.endpoints, self.topic, self.registry, self.lease_s = (
            endpoints,
            topic,
            registry,
            lease_s,
        )
        self.wanted: set[int] = set()
        self.held: set[int] = set()
        self.reader = parsed_schema("feed_status")

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The consumer, made in the worker's event loop (aiokafka binds to the running one)."""
        self.consumer = AIOKafkaConsumer(**self.endpoints.kafka(enable_auto_commit=False))
        await self.consumer.start()
        try:
            yield
        finally:
            await self.consumer.stop()

    async def records(self) -> list[tuple[bytes, Liveness]]:
        """The next records (at most a fifth of a second's wait)."""
        if self.wanted != self.held:
            await self._assign()
        if not self.held:
            await asyncio.sleep(0.2)
            return []
        batches = await self.consumer.getmany(timeout_ms=200)
        return [
            (message.key or b"", Liveness.of(self.registry.read(message.value, self.reader)))
            for messages in batches.values()
            for message in messages
        ]

    async def _assign(self) -> None:
        self.held = set(self.wanted)
        parts = [TopicPartition(self.topic, partition) for partition in sorted(self.held)]
        self.consumer.assign(parts)
        if not parts:
            return
        since = int((time.time() - self.lease_s) * 1000)
        found = await self.consumer.offsets_for_times(dict.fromkeys(parts, since))
        for part in parts:
            at = found.get(part)
            if at is None:
                await self.consumer.seek_to_end(part)
            else:
                self.consumer.seek(part, at.offset)


def writes_market_state(settings: ProcessorSettings) -> bool:
    """Only a live worker does: a replay's market state would be about now, not about the
    frames replayed."""
    return settings.raw_prefix == settings.topic_prefix


def install(
    app: faust.App,
    settings: ProcessorSettings,
    endpoints: Endpoints,
    codecs: dict[Output[Any], AvroWriter[Any]],
    fixture_state: Callable[[bytes], FixtureState],
    metrics: Metrics,
) -> MarketBook | None:
    """The market-state shell of a live worker: its book, liveness reader and timer; the
    market-state writer is among the deriving agent's `codecs` (it sends the records frames
    cause)."""
    if not writes_market_state(settings):
        return None
    topics, registry = Topics(settings.topic_prefix), Registry(endpoints.registry_url)
    codec = codecs[MARKET_STATE]
    book = MarketBook(codec, fixture_state, settings.partitions, settings.lease_s)
    reader = LivenessReader(endpoints, topics.feed_status, registry, settings.lease_s)

    async def send(key: bytes, value: bytes) -> None:
        # straight to aiokafka, as the deriving agent sends (a lease renewal per fixture and
        # second: Faust's per-message wrappers cost the event loop more than the encoding)
        await aiokafka_producer(app).send(codec.topic, value, key=key)
        counted.inc()

    counted = metrics.outputs.labels(codec.topic)

    raw = {Topics(settings.raw_prefix).raw(feed) for feed in Feed}

    @app.on_partitions_assigned.connect
    def follow(_app: Any, /, *args: Any, signal: Any, **_kwargs: Any) -> None:
        reader.wanted = {tp.partition for tp in args[0] if tp.topic in raw}
        book.keep(reader.wanted)

    @app.task  # type: ignore[untyped-decorator]
    async def read_liveness() -> None:
        async with reader.running():
            while True:
                for n, (key, liveness) in enumerate(await reader.records(), 1):
                    for value in book.apply(key, liveness, now_us()):
                        await send(key, value)
                    if n % LIVENESS_RUN == 0:
                        await asyncio.sleep(0)  # the frames that came meanwhile go first

    @app.timer(interval=TICK_S)  # type: ignore[untyped-decorator]
    async def leases() -> None:
        for key, value in book.tick(now_us()):
            await send(key, value)
        counts = book.counts()
        for state in (OPEN, SUSPENDED):
            metrics.market_states.labels(state).set(counts[state])

    return book
