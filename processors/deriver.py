"""Processor (I/O): the shell around `apply`: a raw record's outputs derived and sent, then the
state they came from stored, in the order the at-least-once guarantee needs.

Outputs (and dead letters) are sent as each raw record is handled; `persist` stores a batch's
states once Kafka acknowledged its outputs, and the agent acknowledges the raw records last.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, cast

from faust.types import Message, StoreT

from processors.deadletter import dead_letter
from processors.derive.fixture import FixtureState, apply, decode_state, encode_state, source
from processors.faust_internals import Outlet
from processors.frames import BadFrame, parse, read_meta
from processors.lag import Lag
from processors.market import MarketBook
from processors.metrics import Metrics
from processors.resume import GroupOffsets, Resumes
from processors.retirement import Retirements
from schemas.errors import RecordMismatch
from schemas.outputs import MARKET_STATE, Output
from schemas.serde import AvroWriter
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.markers import RecordProbe
from sportsfeed.core.settings import ProcessorSettings
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pending:
    """A processed raw record: its sends in flight and the state to store once they land."""

    message: Message
    key: bytes
    state: FixtureState | None  # None: nothing to store (a repeat or a dead letter)
    sent: list[Awaitable[Any]]


class Deriver:
    """The shell around `apply`: state from the table, records to their topics, errors to DLQ."""

    def __init__(
        self,
        outlet: Outlet,
        endpoints: Endpoints,
        codecs: dict[Output[Any], AvroWriter[Any]],
        feeds: dict[str, Feed],
        settings: ProcessorSettings,
        metrics: Metrics,
    ) -> None:
        self.outlet, self.table = outlet, outlet.table
        self.send, self.store = outlet.send, outlet.store  # bound once: called per record
        self.codecs = codecs
        self.rejected = Topics(settings.topic_prefix).rejected
        self.feeds = feeds
        self.metrics = metrics
        self.retirements = Retirements(settings.finished_state_ttl_s, settings.partitions)
        self.positions: dict[tuple[str, int], int] = {}  # last offset processed: lag, order
        self.working: dict[bytes, FixtureState] = {}  # derived from, not yet stored
        probe = RecordProbe(endpoints)
        group = Topics(settings.topic_prefix).processor_group
        self.resumes = Resumes(self.positions, feeds, GroupOffsets(endpoints, group), probe)
        self.lag = Lag(self.positions, feeds, metrics, probe)
        self.progressed_at = time.monotonic()
        self.market: MarketBook | None = None  # a live worker's market state
        # Frames and outputs counted by their labelled children, each looked up once
        # (`labels` takes a lock and builds a tuple on every call).
        self.frames_of = {feed: metrics.frames.labels(feed.value) for feed in Feed}
        self.outputs_of: dict[str, Any] = {}

    async def handle(self, message: Message) -> Pending:
        """Derive and send a raw record's outputs; what `persist` must do once they are acked."""
        feed = self.feeds[message.topic]
        self.frames_of[feed].inc()
        self.positions[message.topic, message.partition] = message.offset
        self.progressed_at = time.monotonic()
        key: bytes = message.key or b""
        self.outlet.reading_partition(message.partition)  # the fixture's stored state
        try:
            encoded, state = self._derive(feed, key, message.value, message.headers)
        except Exception as exc:  # noqa: BLE001 (a bad record must never stop the job)
            return Pending(message, key, None, [await self._reject(feed, key, message, exc)])
        sent = []
        for name, value in encoded:
            topic = self.codecs[name].topic
            sent.append(await self.send(topic, key, value, None))
            if topic not in self.outputs_of:
                self.outputs_of[topic] = self.metrics.outputs.labels(topic)
            self.outputs_of[topic].inc()
        if state is not None:
            self.working[key] = state
        # Faust gives the record's Kafka timestamp in seconds.
        self.metrics.latency.observe(max(0.0, time.time() - message.timestamp))
        return Pending(message, key, state, sent)

    async def persist(self, batch: list[Pending]) -> None:
        """Once records' outputs are acknowledged, store the latest state they came from.

        In this order a crash can leave the state behind the outputs (the frames are derived
        again: identical repeats), never ahead of them (frames dropped as repeats whose outputs
        never arrived). The caller acks the records after this, so offsets are committed last.
        A fixture with several records in the batch is stored once, at its latest state.
        """
        latest: dict[bytes, Pending] = {}
        for pending in batch:
            for future in pending.sent:
                await future
            if pending.state is not None:
                latest[pending.key] = pending
        stored = []
        for key, pending in latest.items():
            partition = pending.message.partition
            stored.append(await self.store(partition, key, encode_state(pending.state)))  # type: ignore[arg-type]
            if self.working.get(key) is pending.state:
                del self.working[key]
        for partition in {pending.message.partition for pending in latest.values()}:
            stored += [
                await self.store(partition, key, state)
                for key, state in self._retire_due(partition)
            ]
        await self._persisted(stored)

    async def _persisted(self, stored: list[Awaitable[Any]]) -> None:
        """Once the changelog has the records, where the store is up to, per partition."""
        upto: dict[Any, int] = {}
        for future in stored:
            written = await future
            upto[written.topic_partition] = max(
                written.offset, upto.get(written.topic_partition, -1)
            )
        store = cast(StoreT[bytes, bytes], self.table.data)
        for tp, offset in upto.items():
            store.set_persisted_offset(tp, offset)

    def fixture_state(self, key: bytes) -> FixtureState:
        """The fixture's latest state: derived from and not yet stored, or else the table's."""
        working = self.working.get(key)
        if working is not None:
            return working
        stored = self.table.get(key)
        return decode_state(stored) if stored is not None else FixtureState()

    def _derive(
        self, feed: Feed, key: bytes, value: bytes | None, headers: Any
    ) -> tuple[list[tuple[Output[Any], bytes]], FixtureState | None]:
        """Encoded outputs and the new state (None: unchanged); raises for a bad record."""
        meta = read_meta(headers or [])
        if meta.feeds is None:
            self.metrics.feeds_inferred.labels(feed.value).inc()
        frame = parse(feed, value or b"")
        if frame.fixture_id.encode() != key:
            raise BadFrame(f"record key {key!r:.60} is not the frame's fixtureId")
        state = self.fixture_state(key)
        applied = apply(state, frame, meta)
        if applied.repeat:
            self.metrics.repeats.labels(feed.value).inc()
            return [], None
        encoded = [(name, self.codecs[name].encode(record)) for name, record in applied.outputs]
        if self.market is not None:
            after = self.market.after_frame(key, applied.state, source(frame, meta))
            encoded += [(MARKET_STATE, value) for value in after]
        if applied.state.finished and not state.finished:
            self.retirements.add(key, time.monotonic())
        return encoded, applied.state

    async def _reject(self, feed: Feed, key: bytes, message: Any, exc: Exception) -> Awaitable[Any]:
        if not isinstance(exc, BadFrame | RecordMismatch):
            log.error(
                "unexpected error on %s[%d]@%d",
                message.topic,
                message.partition,
                message.offset,
                exc_info=exc,
            )
        else:
            log.warning(
                "dead letter %s[%d]@%d: %s", message.topic, message.partition, message.offset, exc
            )
        where = (message.topic, message.partition, message.offset)
        value, headers = dead_letter(message.value or b"", list(message.headers or []), *where, exc)
        self.metrics.dead_letters.labels(feed.value, type(exc).__name__).inc()
        return await self.send(self.rejected, key, value, headers)

    def _retire_due(self, partition: int) -> list[tuple[bytes, bytes]]:
        """The retired states of the partition's finished fixtures now due."""
        self.outlet.reading_partition(partition)
        retired = self.retirements.retired(partition, self.table, self.working, time.monotonic())
        if retired:
            self.metrics.retired.inc(len(retired))
        return retired

    async def close(self) -> None:
        await self.resumes.close()
