"""Processor, step 3 (I/O): the Faust app whose one agent moves raw frames through `apply`.

One agent reads both raw topics, parses each frame once and sends every output it implies,
keyed by fixtureId, to its Avro topic; the per-fixture state lives in one table (RocksDB via
rocksdict in production). The agent runs at concurrency 1, catches every exception and dead-
letters the record (Faust would otherwise ack and drop it), and never forwards through a sink
(sinks drop the key). Topics are never declared here: `sportsfeed topics` creates them all.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import weakref
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import faust
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import murmur2
from faust.streams import _current_event
from faust.types import EventT, StoreT, TableT
from prometheus_client import generate_latest

from processors.credentials import faust_credentials
from processors.deadletter import dead_letter
from processors.derive.fixture import (
    FixtureState,
    apply,
    decode_state,
    encode_state,
    retire,
    source,
)
from processors.frames import BadFrame, parse, read_meta
from processors.gapless import GaplessApp, GaplessConsumer
from processors.market import MarketBook, install
from processors.metrics import Metrics
from schemas.errors import RecordMismatch
from schemas.outputs import MARKET_STATE, Output
from schemas.serde import AvroWriter
from sportsfeed.core.kafka_clients import Endpoints, KeyPartitioner
from sportsfeed.core.limits import BATCH_LIMIT, REQUEST_LIMIT
from sportsfeed.core.markers import RecordProbe
from sportsfeed.core.settings import ProcessorSettings
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed

log = logging.getLogger(__name__)
EXIT_STALLED = 4
EXIT_UNACKNOWLEDGED = 5
MAX_IN_FLIGHT = 10_000  # records derived whose outputs are not yet acknowledged
PERSIST_BATCH = 2_000  # records whose states are stored together


@dataclass
class Retirements:
    """Finished fixtures waiting to shrink, per partition (a table write needs its partition)."""

    ttl_s: float
    partitions: int
    due: dict[int, deque[tuple[float, bytes]]] = field(default_factory=dict)
    scanned: set[int] = field(default_factory=set)

    def partition_of(self, key: bytes) -> int:
        hashed: int = murmur2(key)
        return (hashed & 0x7FFFFFFF) % self.partitions  # Kafka's default partitioner

    def add(self, key: bytes, now: float) -> None:
        self.due.setdefault(self.partition_of(key), deque()).append((now + self.ttl_s, key))

    def take_due(self, partition: int, now: float) -> list[bytes]:
        queue = self.due.get(partition)
        keys = []
        while queue and queue[0][0] <= now:
            keys.append(queue.popleft()[1])
        return keys


@dataclass(frozen=True)
class Pending:
    """A processed raw record: its sends in flight and the state to store once they land."""

    event: EventT[Any]
    key: bytes
    state: FixtureState | None  # None: nothing to store (a repeat or a dead letter)
    sent: list[Awaitable[Any]]


class GroupOffsets:
    """The processor group's committed offsets, asked of Kafka (Faust's own record of them is
    empty until its first commit after a start)."""

    def __init__(self, endpoints: Endpoints, group: str) -> None:
        self.endpoints, self.group = endpoints, group
        self._admin: AIOKafkaAdminClient | None = None

    async def committed(self, topic: str, partition: int) -> int | None:
        if self._admin is None:
            self._admin = AIOKafkaAdminClient(**self.endpoints.kafka(client_id=self.group))
            await self._admin.start()
        tp = TopicPartition(topic, partition)
        found = await self._admin.list_consumer_group_offsets(self.group, partitions=[tp])
        offset = found[tp].offset if tp in found else -1
        return offset if offset >= 0 else None

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None


class Deriver:
    """The shell around `apply`: state from the table, records to their topics, errors to DLQ."""

    def __init__(
        self,
        app: faust.App,
        endpoints: Endpoints,
        table: TableT[bytes, bytes],
        codecs: dict[Output[Any], AvroWriter[Any]],
        feeds: dict[str, Feed],
        settings: ProcessorSettings,
        metrics: Metrics,
    ) -> None:
        self.app = app
        self.table = table
        self.codecs = codecs
        self.rejected = Topics(settings.topic_prefix).rejected
        self.feeds = feeds
        self.metrics = metrics
        self.retirements = Retirements(settings.finished_state_ttl_s, settings.partitions)
        self.positions: dict[tuple[str, int], int] = {}  # last offset processed: lag, order
        self.working: dict[bytes, FixtureState] = {}  # derived from, not yet stored
        self.committed: dict[Any, int | None] = {}  # per raw partition, as of the last check
        self.unchecked: set[tuple[str, int]] = set()  # assigned, first record not yet seen
        self.offsets = GroupOffsets(endpoints, Topics(settings.topic_prefix).processor_group)
        self.probe = RecordProbe(endpoints)
        self.progressed_at = time.monotonic()
        self.market: MarketBook | None = None  # a live worker's market state
        # Frames and outputs counted by their labelled children, each looked up once
        # (`labels` takes a lock and builds a tuple on every call).
        self.frames_of = {feed: metrics.frames.labels(feed.value) for feed in Feed}
        self.outputs_of: dict[str, Any] = {}

    async def handle(self, event: EventT[Any]) -> Pending:
        """Derive and send a raw record's outputs; what `persist` must do once they are acked."""
        message = event.message
        feed = self.feeds[message.topic]
        self.frames_of[feed].inc()
        self.positions[message.topic, message.partition] = message.offset
        self.progressed_at = time.monotonic()
        key: bytes = message.key or b""
        try:
            encoded, state = self._derive(feed, key, message.value, message.headers)
        except Exception as exc:  # noqa: BLE001 (a bad record must never stop the job)
            return Pending(event, key, None, [await self._reject(feed, key, message, exc)])
        sent = []
        for name, value in encoded:
            topic = self.codecs[name].topic
            sent.append(await self._send(topic, key, value, None))
            if topic not in self.outputs_of:
                self.outputs_of[topic] = self.metrics.outputs.labels(topic)
            self.outputs_of[topic].inc()
        if state is not None:
            self.working[key] = state
        # Faust gives the record's Kafka timestamp in seconds.
        self.metrics.latency.observe(max(0.0, time.time() - message.timestamp))
        return Pending(event, key, state, sent)

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
            stored.append(await self._store(pending.event, key, encode_state(pending.state)))  # type: ignore[arg-type]
            if self.working.get(key) is pending.state:
                del self.working[key]
        events = {pending.event.message.partition: pending.event for pending in latest.values()}
        for event in events.values():
            stored += [
                await self._store(event, key, state) for key, state in self._retire_due(event)
            ]
        await self._persisted(stored)

    async def _store(self, event: EventT[Any], key: bytes, state: bytes) -> Awaitable[Any]:
        """Write a fixture's state to the table's store and send its changelog record.

        Faust's own table write queues the changelog record in a buffer drained one record
        per event-loop turn, each acknowledgement writing RocksDB's persisted offset; under
        load the buffer fell thousands of records behind and then stopped the hand-over of
        new records until it drained (outputs seconds late). Here the record goes to the
        producer at once, as Faust would have written it (raw key and value, the event's
        partition), and the persisted offset is written once per partition and batch.
        """
        _current_event.set(weakref.ref(event))  # the store's partition comes from it
        self.table.data[key] = state
        topic = self.table.changelog_topic.get_topic_name()
        producer = self.app.producer._ensure_producer()  # type: ignore[attr-defined]
        sent: Awaitable[Any] = await producer.send(
            topic, state, key=key, partition=event.message.partition
        )
        return sent

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

    def on_assigned(self, assigned: set[Any]) -> None:
        """After a rebalance, each partition resumes at its committed offset, asked of Kafka."""
        self.unchecked = {(tp.topic, tp.partition) for tp in assigned if tp.topic in self.feeds}

    async def missing_before(self, message: Any, consumer: GaplessConsumer) -> int | None:
        """The offset Faust should have handed over instead of `message`, if it skipped one.

        A raw partition's offsets hold records and the markers of the producers' transactions
        (no compaction): after a rebalance a partition resumes at its committed offset (its
        start if the group never committed one), and
        offset N is followed by N+1 (or a repeat of an earlier offset), or by the next record
        after markers. Faust sometimes hands over a record past that,
        from a batch fetched before it sought the partition; processing it would move
        fixtures' state past frames whose outputs were never derived.
        """
        key = (message.topic, message.partition)
        where = TopicPartition(message.topic, message.partition)
        if key in self.unchecked:
            self.unchecked.discard(key)
            committed = await self.offsets.committed(message.topic, message.partition)
            # Never committed: the group reads from the log's start (auto_offset_reset is
            # earliest). Records before the first one seen here were handed over while the
            # group rebalanced and released unprocessed, so they must come again.
            start = committed if committed is not None else await self.probe.log_start(where)
            log.info("%s[%d] resumes at offset %d (committed: %s, expected: %d)", message.topic,
                     message.partition, message.offset, committed, start)  # fmt: skip
            self.positions[key] = start - 1  # what comes next must be `start`
        last = self.positions.get(key)
        if last is None or message.offset <= last + 1:
            return None
        # transaction markers take offsets too: only a record in between was skipped
        markers = consumer.markers
        if markers.cover(message.topic, message.partition, last + 1, message.offset):
            return None  # as the fetcher saw: the usual case, answered without reading
        first = await self.probe.first_record(where, last + 1, message.offset)
        if first is None:  # for the commits to pass them
            markers.add(message.topic, message.partition, range(last + 1, message.offset))
        return first

    async def behind(self, consumer: GaplessConsumer) -> bool:
        """Whether a record waits or awaits its commit (a transaction marker is no record)."""
        for tp in consumer.assignment():
            last = self.positions.get((tp.topic, tp.partition))
            if tp.topic not in self.feeds or last is None:
                continue
            if last + 1 > (consumer.committed_offset(tp) or 0):
                return True
            highwater = consumer.highwater(tp)
            if highwater is not None and highwater > last + 1:
                where = TopicPartition(tp.topic, tp.partition)
                if await self.probe.first_record(where, last + 1, highwater) is not None:
                    return True
        return False

    def _state(self, key: bytes) -> FixtureState:
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
        state = self._state(key)
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
            log.error("unexpected error on %s[%d]@%d", message.topic, message.partition,
                      message.offset, exc_info=exc)  # fmt: skip
        else:
            log.warning("dead letter %s[%d]@%d: %s", message.topic, message.partition,
                        message.offset, exc)  # fmt: skip
        where = (message.topic, message.partition, message.offset)
        value, headers = dead_letter(message.value or b"", list(message.headers or []), *where, exc)
        self.metrics.dead_letters.labels(feed.value, type(exc).__name__).inc()
        return await self._send(self.rejected, key, value, headers)

    async def _send(
        self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]] | None
    ) -> Awaitable[Any]:
        """Hand a record to the app's aiokafka producer (Faust flushes it before every commit).

        Straight to aiokafka, not through `Topic.send` nor Faust's producer: a third of the
        agent's time went to Faust's per-message wrappers, and a sink would drop the key.
        """
        producer = self.app.producer._ensure_producer()  # type: ignore[attr-defined]
        sent: Awaitable[Any] = await producer.send(topic, value, key=key, headers=headers)
        return sent

    def _retire_due(self, event: EventT[Any]) -> list[tuple[bytes, bytes]]:
        """The retired states of the event's partition's finished fixtures now due."""
        partition = event.message.partition
        _current_event.set(weakref.ref(event))  # the store reads the event's partition
        if partition not in self.retirements.scanned:
            self._scan_finished(partition)
        retired = []
        for key in self.retirements.take_due(partition, time.monotonic()):
            stored = self.table.get(key)
            if stored is not None and key not in self.working:
                retired.append((key, encode_state(retire(decode_state(stored)))))
                self.metrics.retired.inc()
        return retired

    def _scan_finished(self, partition: int) -> None:
        """After a start: queue this partition's finished fixtures that are not retired yet."""
        self.retirements.scanned.add(partition)
        now = time.monotonic()
        for key, stored in self.table.items():
            if self.retirements.partition_of(key) == partition:
                state = decode_state(stored)
                if state.finished and not state.retired:
                    self.retirements.add(key, now)

    def update_lag(self, consumer: GaplessConsumer) -> int:
        """Set the lag gauges; the raw records waiting or processed but not yet committed."""
        behind = 0
        committed = {}
        for tp in consumer.assignment():
            if tp.topic not in self.feeds:
                continue
            last = self.positions.get((tp.topic, tp.partition))
            highwater = consumer.highwater(tp)
            if highwater is not None and last is not None:
                self.metrics.lag.labels(tp.topic, str(tp.partition)).set(highwater - last - 1)
                behind += max(0, highwater - last - 1)
            committed[tp] = consumer.committed_offset(tp)
            if last is not None:
                behind += max(0, last + 1 - (committed[tp] or 0))
        if committed != self.committed:
            self.committed = committed
            self.progressed_at = time.monotonic()  # a commit is progress too
        return behind

    def stalled(self, behind: int, limit_s: float) -> bool:
        """Records wait or await their commit, yet nothing moved for `limit_s`: stuck."""
        return behind > 0 and time.monotonic() - self.progressed_at > limit_s


def state_dir(settings: ProcessorSettings) -> Path:
    """Where a worker keeps its tables: one directory per consumer group, so two pipelines of
    one cluster (another topic prefix, e.g. the demo's) never open one RocksDB (it is locked)."""
    return settings.data_dir / "processor" / Topics(settings.topic_prefix).processor_group


def build_app(
    settings: ProcessorSettings,
    endpoints: Endpoints,
    codecs: dict[Output[Any], AvroWriter[Any]],
    metrics: Metrics,
) -> faust.App:
    """The processor's Faust app, its table, its agent, and its health and metrics pages."""
    topics = Topics(settings.topic_prefix)
    app = GaplessApp(
        topics.processor_group,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        broker=[f"kafka://{server.strip()}" for server in endpoints.bootstrap_servers.split(",")],
        broker_credentials=faust_credentials(endpoints.security),
        store="rocksdb://" if settings.store == "rocksdict" else "memory://",  # rocksdb: rocksdict
        datadir=str(state_dir(settings)),
        processing_guarantee="at_least_once",  # exactly_once did not hold: see the README
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication,
        topic_allow_declare=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.session_timeout_s / 3),
        producer_linger=0.0,
        producer_acks=-1,
        producer_partitioner=KeyPartitioner(),  # murmur2 once per key, not on every send
        producer_max_request_size=REQUEST_LIMIT,  # a dead letter fits: sportsfeed.core.limits
        producer_max_batch_size=BATCH_LIMIT,  # the changelog keeps up: sportsfeed.core.limits
        web_bind=settings.metrics_host,
        web_host=settings.metrics_host,
        web_port=settings.metrics_port or 6066,
        web_enabled=settings.metrics_port != 0,
        # only /health, /ready and /metrics (below) and Faust's "OK" index: its table, router,
        # graph and stats pages would show per-fixture state to anyone reaching the port
        web_tables_enabled=False,
        web_router_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        web_metrics_enabled=False,
        autodiscover=False,
    )
    raw = {Topics(settings.raw_prefix).raw(feed): feed for feed in Feed}
    raw_topics = app.topic(*raw, key_serializer="raw", value_serializer="raw")
    table = app.Table("fixtures", partitions=settings.partitions, key_type=bytes,
                      value_type=bytes, options=_rocksdb_options(settings))  # fmt: skip
    deriver = Deriver(app, endpoints, table, codecs, raw, settings, metrics)
    deriver.market = install(app, settings, endpoints, deriver.codecs, deriver._state, metrics)

    @app.on_partitions_assigned.connect
    def check_resumes(_app: Any, /, *args: Any, signal: Any, **_kwargs: Any) -> None:
        deriver.on_assigned(args[0])  # the assigned partitions

    @app.agent(raw_topics, concurrency=1, name="derive")
    async def derive(stream: faust.StreamT[Any]) -> None:
        manual = stream.noack()  # type: ignore[attr-defined]  # missing from StreamT
        in_flight: asyncio.Queue[Pending] = asyncio.Queue(maxsize=MAX_IN_FLIGHT)

        async def persist_in_order() -> None:
            while True:
                batch = [await in_flight.get()]
                while not in_flight.empty() and len(batch) < PERSIST_BATCH:
                    batch.append(in_flight.get_nowait())
                await _persist_or_end(deriver, batch)
                for pending in batch:
                    await manual.ack(pending.event)

        persister = asyncio.create_task(persist_in_order())
        try:
            async for event in manual.events():
                if persister.done():
                    persister.result()  # its failure ends the agent
                consumer = cast(GaplessConsumer, app.consumer)
                if app.rebalancing:
                    # Faust resumes partitions before it seeks them to the committed offsets,
                    # so records from an older position can arrive while it rebalances (with
                    # the table half restored). Left unprocessed and unacknowledged, they come
                    # again after the seek, or were processed before.
                    deriver.metrics.refetched.inc()
                    consumer.release(event.message)
                    continue
                missing = await deriver.missing_before(event.message, consumer)
                if missing is not None:
                    # Not processed, not acknowledged (commits cannot pass it), and fetched
                    # again in order: seeking also resets Faust's read position, which would
                    # otherwise drop the re-fetched records as already seen.
                    deriver.metrics.refetched.inc()
                    consumer.release(event.message)
                    where = TopicPartition(event.message.topic, event.message.partition)
                    await consumer.seek_wait({where: missing})  # in the consumer's thread
                    continue
                await in_flight.put(await deriver.handle(event))
        finally:
            persister.cancel()
            await deriver.offsets.close()
            await deriver.probe.close()

    @app.timer(interval=5.0)  # type: ignore[untyped-decorator]
    async def lag() -> None:
        behind = deriver.update_lag(cast(GaplessConsumer, app.consumer))
        if app.in_recovery:
            deriver.progressed_at = time.monotonic()  # restoring state is not being stuck
        elif deriver.stalled(behind, settings.stall_limit_s) and await deriver.behind(
            cast(GaplessConsumer, app.consumer)
        ):
            # A last line of defence, should Faust stop handing over records or committing
            # them: ending lets the orchestrator restart the worker, which resumes from Kafka.
            log.error("no record processed nor committed for %.0f s while %d are behind; "
                      "exiting to be restarted", settings.stall_limit_s, behind)  # fmt: skip
            os._exit(EXIT_STALLED)

    _pages(app, table, metrics)
    return app


async def _persist_or_end(deriver: Deriver, batch: list[Pending]) -> None:
    """Store the batch's states once Kafka took its outputs (and dead letters); if it did not,
    end the worker before anything after them is acknowledged. Faust commits the first run of
    consecutive acknowledged offsets, so an agent restarted in place would commit past the
    record; a restarted worker resumes at it."""
    try:
        await deriver.persist(batch)
    except Exception as exc:  # noqa: BLE001 (any failure: nothing may pass it)
        first = batch[0].event.message
        log.error("outputs of %s[%d]@%d onwards were not acknowledged by Kafka (%r); exiting to "  # noqa: TRY400 (the reason is enough)
                  "be restarted", first.topic, first.partition, first.offset, exc)  # fmt: skip
        os._exit(EXIT_UNACKNOWLEDGED)


def _rocksdb_options(settings: ProcessorSettings) -> dict[str, int]:
    """Bounded RocksDB memory per table partition: Faust's defaults allow three 64 MB write
    buffers and a 2 GB block cache per partition, which a soak saw a worker grow into."""
    if settings.store != "rocksdict":
        return {}
    quarter = settings.rocksdb_memory_mb * 2**20 // 4
    return {"write_buffer_size": quarter, "max_write_buffer_number": 2,
            "block_cache_size": quarter, "block_cache_compressed_size": quarter // 4}  # fmt: skip


def _pages(app: faust.App, table: TableT[bytes, bytes], metrics: Metrics) -> None:

    @app.page("/health")
    async def health(web: Any, _request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/ready")
    async def ready(web: Any, _request: Any) -> Any:
        recovered = app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]
        ok = recovered and not app.rebalancing
        return web.json({"ready": ok}, status=200 if ok else 503)

    @app.page("/metrics")
    async def prometheus(web: Any, _request: Any) -> Any:
        # Faust's RocksDB store keeps its open partitions in `_dbs` (no public accessor);
        # the memory store has none.
        metrics.observe_rocksdb(getattr(table.data, "_dbs", {}))
        # Prometheus' text format; aiohttp adds the charset itself.
        return web.text(generate_latest(metrics.registry).decode(), content_type="text/plain")
