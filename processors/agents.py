"""Processor, step 3 (I/O): the Faust app whose one agent moves raw frames through `apply`.

One agent reads both raw topics, parses each frame once and sends every output it implies,
keyed by fixtureId, to its Avro topic; the per-fixture state lives in one table (RocksDB via
rocksdict in production). The agent runs at concurrency 1, catches every exception and dead-
letters the record (Faust would otherwise ack and drop it), and never forwards through a sink
(sinks drop the key). Topics are never declared here: `sportsfeed topics` creates them all.
The agent only orders the steps; each lives in its own module: deriver.py (derive, send,
store), resume.py (offsets after a rebalance), lag.py (stalls), retirement.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any, cast

import faust
from aiokafka import TopicPartition
from faust.types import Message, TableT
from prometheus_client import generate_latest

from processors.credentials import faust_credentials
from processors.deriver import Deriver, Pending
from processors.faust_internals import Outlet, recovered, rocksdb_partitions
from processors.gapless import GaplessApp, GaplessConsumer
from processors.handover import Runs
from processors.lag import stalled
from processors.market import install
from processors.metrics import Metrics
from schemas.outputs import Output
from schemas.serde import AvroWriter
from sportsfeed.core.kafka_clients import Endpoints, KeyPartitioner
from sportsfeed.core.limits import BATCH_LIMIT, REQUEST_LIMIT
from sportsfeed.core.settings import ProcessorSettings
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed

log = logging.getLogger(__name__)
EXIT_STALLED = 4
EXIT_UNACKNOWLEDGED = 5
MAX_IN_FLIGHT = 10_000  # records derived whose outputs are not yet acknowledged
PERSIST_BATCH = 2_000  # records whose states are stored together
RUNS_BUFFERED = 40  # runs of raw records waiting for the agent (4,000 records, as Faust buffers)


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
    app = _faust_app(settings, endpoints)
    raw = {Topics(settings.raw_prefix).raw(feed): feed for feed in Feed}
    # Subscribed here, read by no Faust stream: the hand-over passes their records on in runs.
    app.topics.add(app.topic(*raw, key_serializer="raw", value_serializer="raw"))
    runs = app.runs = Runs(app, raw, maxsize=RUNS_BUFFERED)
    table = app.Table(
        "fixtures",
        partitions=settings.partitions,
        key_type=bytes,
        value_type=bytes,
        options=_rocksdb_options(settings),
    )
    deriver = Deriver(Outlet(app, table), endpoints, codecs, raw, settings, metrics)
    deriver.market = install(
        app, settings, endpoints, deriver.codecs, deriver.fixture_state, metrics
    )

    @app.on_partitions_assigned.connect
    def check_resumes(_app: Any, /, *args: Any, signal: Any, **_kwargs: Any) -> None:
        deriver.resumes.on_assigned(args[0])  # the assigned partitions

    @app.agent(runs.channel, concurrency=1, name="derive")
    async def derive(stream: faust.StreamT[list[Message]]) -> None:
        in_flight: asyncio.Queue[Pending] = asyncio.Queue(maxsize=MAX_IN_FLIGHT)
        persister = asyncio.create_task(_persist_in_order(deriver, in_flight, app))
        try:
            async for run in stream.noack():  # type: ignore[attr-defined]  # not in StreamT
                if persister.done():
                    persister.result()  # its failure ends the agent
                await _take(app, deriver, run, in_flight)
        finally:
            persister.cancel()
            await deriver.close()

    _stall_watch(app, deriver, settings)
    _pages(app, table, metrics)
    return app


def _faust_app(settings: ProcessorSettings, endpoints: Endpoints) -> GaplessApp:
    """The worker's Faust app: at-least-once, topics never declared, only our own web pages."""
    return GaplessApp(
        Topics(settings.topic_prefix).processor_group,
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


def _stall_watch(app: faust.App, deriver: Deriver, settings: ProcessorSettings) -> None:
    """The lag gauges every 5 s; a worker stuck behind for the stall limit exits."""

    @app.timer(interval=5.0)  # type: ignore[untyped-decorator]
    async def lag() -> None:
        consumer = cast(GaplessConsumer, app.consumer)
        behind, committed = deriver.lag.update(consumer)
        if committed or app.in_recovery:  # a commit is progress; restoring state is no stall
            deriver.progressed_at = time.monotonic()
        elif stalled(behind, deriver.progressed_at, time.monotonic(), settings.stall_limit_s) and (
            await deriver.lag.behind(consumer)
        ):
            # A last line of defence, should Faust stop handing over records or committing
            # them: ending lets the orchestrator restart the worker, which resumes from Kafka.
            log.error(
                "no record processed nor committed for %.0f s while %d are behind; "
                "exiting to be restarted",
                settings.stall_limit_s,
                behind,
            )
            os._exit(EXIT_STALLED)


async def _take(
    app: GaplessApp, deriver: Deriver, run: list[Message], in_flight: asyncio.Queue[Pending]
) -> None:
    """Handle each record of a run in order, unless the group moved on or one is missing."""
    consumer = cast(GaplessConsumer, app.consumer)
    sought: set[Any] = set()  # partitions sought back: the run's rest of them comes again
    for message in run:
        if message.tp in sought:
            continue
        missing = await deriver.resumes.missing_before(message, consumer)  # may ask Kafka
        if not _current(app, message):  # checked after the last await before `take`
            deriver.metrics.refetched.inc()
            continue
        if missing is not None:
            sought.add(message.tp)
            await _fetch_again(deriver, consumer, message, missing)
            continue
        consumer.take(message)  # from here a rebalance waits until it is acknowledged
        await in_flight.put(await deriver.handle(message))


def _current(app: GaplessApp, message: Message) -> bool:
    """Whether a record may be processed: fetched in the group's current generation, with no
    rebalance under way and the flow running (what Faust's stream checks of each event).

    A run can be fetched before a rebalance and reach the agent after it, when the record's
    partition may be another worker's; and a rebalance can begin while the agent awaits
    Kafka. A record left untaken is fetched again: the rebalance seeks each partition to its
    committed offset (see processors/fetching.py), and commits never pass it. A record taken
    holds the rebalance until it is processed and acknowledged, so checking between the last
    await and `take` leaves no window in which a partition's new owner reads a state the
    record is still changing.
    """
    return (
        not app.rebalancing
        and message.generation_id == app.consumer_generation_id
        and app.flow_control.is_active()
    )


async def _fetch_again(
    deriver: Deriver, consumer: GaplessConsumer, message: Message, missing: int
) -> None:
    """Not processed, not acknowledged (commits cannot pass it), and fetched again in order
    from `missing`: seeking also resets Faust's read position, which would otherwise drop the
    re-fetched records as already seen."""
    deriver.metrics.refetched.inc()
    where = TopicPartition(message.topic, message.partition)
    await consumer.seek_wait({where: missing})  # in the consumer's thread


async def _persist_in_order(
    deriver: Deriver, in_flight: asyncio.Queue[Pending], app: faust.App
) -> None:
    """Store the records' states in batches, in the order they were handled; then ack them."""
    while True:
        batch = [await in_flight.get()]
        while not in_flight.empty() and len(batch) < PERSIST_BATCH:
            batch.append(in_flight.get_nowait())
        await _persist_or_end(deriver, batch)
        ack = app.consumer.ack
        for pending in batch:
            ack(pending.message)


async def _persist_or_end(deriver: Deriver, batch: list[Pending]) -> None:
    """Store the batch's states once Kafka took its outputs (and dead letters); if it did not,
    end the worker before anything after them is acknowledged. Faust commits the first run of
    consecutive acknowledged offsets, so an agent restarted in place would commit past the
    record; a restarted worker resumes at it."""
    try:
        await deriver.persist(batch)
    except Exception as exc:  # noqa: BLE001 (any failure: nothing may pass it)
        first = batch[0].message
        log.error(  # noqa: TRY400 (the reason is enough)
            "outputs of %s[%d]@%d onwards were not acknowledged by Kafka (%r); exiting to "
            "be restarted",
            first.topic,
            first.partition,
            first.offset,
            exc,
        )
        os._exit(EXIT_UNACKNOWLEDGED)


def _rocksdb_options(settings: ProcessorSettings) -> dict[str, int]:
    """Bounded RocksDB memory per table partition: Faust's defaults allow three 64 MB write
    buffers and a 2 GB block cache per partition, which a soak saw a worker grow into."""
    if settings.store != "rocksdict":
        return {}
    quarter = settings.rocksdb_memory_mb * 2**20 // 4
    return {
        "write_buffer_size": quarter,
        "max_write_buffer_number": 2,
        "block_cache_size": quarter,
        "block_cache_compressed_size": quarter // 4,
    }


def _pages(app: faust.App, table: TableT[bytes, bytes], metrics: Metrics) -> None:

    @app.page("/health")
    async def health(web: Any, _request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/ready")
    async def ready(web: Any, _request: Any) -> Any:
        ok = recovered(app) and not app.rebalancing
        return web.json({"ready": ok}, status=200 if ok else 503)

    @app.page("/metrics")
    async def prometheus(web: Any, _request: Any) -> Any:
        metrics.observe_rocksdb(rocksdb_partitions(table))
        # Prometheus' text format; aiohttp adds the charset itself.
        return web.text(generate_latest(metrics.registry).decode(), content_type="text/plain")
