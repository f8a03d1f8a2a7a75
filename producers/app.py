"""Producer, the whole: recover positions, run every stream, report feed-status, drain on stop.

`Producer.run()` returns when it is told to stop (SIGTERM, SIGINT), when every stream has
finished (without discovery), or raises when Kafka stays unreachable past the outage limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from typing import Any

import httpx

from producers.liveness import (
    RENEW_S,
    RENEWAL_SLOTS,
    Lease,
    producer_instance_id,
    release,
    renewal_slot,
)
from producers.metrics import Metrics
from producers.protocol import StreamId
from producers.publisher import Publisher, transactional_id
from producers.recovery import resume_points, unfinished_fixtures
from producers.status import Finished, FixtureStatus, State, count_states
from producers.stream import FeedStream, RateLimiter, StreamHooks, StreamOptions
from schemas.outputs import FEED_STATUS
from schemas.registration import writer
from schemas.serde import AvroReader, Registry
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import ProducerSettings
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Sport

log = logging.getLogger(__name__)
RELEASE_S = 5.0  # a stop waits this long at most to queue its last records (Kafka may be gone)


def now_us() -> int:
    return time.time_ns() // 1000


class Producer:
    def __init__(self, settings: ProducerSettings, endpoints: Endpoints, metrics: Metrics) -> None:
        self._settings = settings
        self._endpoints = endpoints
        self._metrics = metrics
        self._topics = Topics(settings.topic_prefix)
        self._limiter = RateLimiter(settings.connects_per_s)
        self._status: dict[str, FixtureStatus] = {}
        self._dirty: dict[str, StreamId] = {}
        self._tasks: dict[StreamId, asyncio.Task[None]] = {}  # running
        self._finished = Finished(settings.finished_state_ttl_s)
        self._stop = asyncio.Event()
        self._lease = Lease(producer_instance_id(), settings.lease_s)
        self._started = False  # positions recovered and the configured streams started

    def stop(self) -> None:
        self._stop.set()

    def readiness(self) -> tuple[bool, dict[str, int]]:
        """Ready once started while every stream held is LIVE or finished (or none is held);
        with the streams per state."""
        counts = {state.value: n for state, n in count_states(self._status.values()).items() if n}
        waiting = set(counts) - {State.LIVE.value, State.FINISHED.value}
        return self._started and not waiting, counts

    @property
    def status(self) -> dict[str, FixtureStatus]:
        """Each fixture's feeds as this producer sees them (read-only use)."""
        return self._status

    async def run(self) -> None:
        fixtures = list(self._settings.configured_fixtures)
        url = self._endpoints.registry_url
        self._codec = await writer(url, self._topics, FEED_STATUS)  # on the loop, not blocking it
        registry = Registry(url)
        registry.remember(self._codec.schema_id, self._codec.schema)  # not asked on the loop
        self._status_reader = AvroReader(FEED_STATUS, self._codec.topic, registry)
        self._publisher = Publisher(
            self._endpoints,
            self._settings.max_unacked,
            self._settings.kafka_outage_limit_s,
            transactional_id(self._settings.topic_prefix, self._settings.shard),
            self._settings.transaction_ms / 1000,
        )
        self._metrics.oldest_unacked.set_function(self._publisher.oldest_unacked_s)
        self._metrics.outage_limit.set(self._settings.kafka_outage_limit_s)
        await self._publisher.start()
        log.info("publisher connected schema_id=%d", self._codec.schema_id)
        try:
            # Kafka's unfinished streams too: discovery lists live fixtures only, and a fixture
            # that ended while the producer was down must still get its last frames.
            await self.add(fixtures + await self._unfinished())
            self._started = True
            await self._supervise()
        finally:
            await self._shutdown()

    async def _unfinished(self) -> list[tuple[Sport, str]]:
        found = await unfinished_fixtures(
            self._endpoints, self._topics, self._settings.partitions, self._status_reader
        )
        log.info("unfinished in feed-status fixtures=%d", len(found))
        return found

    async def add(self, fixtures: Iterable[tuple[Sport, str]]) -> None:
        """Start streams for fixtures not yet running, resuming where Kafka says."""
        new = [
            StreamId(fixture_id, sport, feed)
            for sport, fixture_id in fixtures
            if self._settings.shard.includes(fixture_id)
            for feed in self._settings.feeds
        ]
        new = [s for s in dict.fromkeys(new) if s not in self._tasks and s not in self._finished]
        if not new:
            return
        log.info("recovering positions streams=%d", len(new))
        points = await resume_points(
            self._endpoints,
            self._topics,
            self._settings.partitions,
            self._status_reader,
            new,
        )
        options = self._stream_options()
        for stream in new:
            point = points[stream]
            status = self._status.setdefault(
                stream.fixture_id, FixtureStatus(self._settings.channel)
            )
            status.acknowledge(stream, point.position, point.raw_offset, now_us())
            if point.finished:
                status.enter(stream, State.FINISHED, now_us())
                self._finished.add(stream, time.monotonic())
                log.info("stream already finished stream=%s position=%d", stream, point.position)
                continue
            feed_stream = FeedStream(
                stream,
                point.position,
                options,
                self._publisher,
                self._limiter,
                self._metrics,
                StreamHooks(self._report, self._acknowledged, self._heartbeat),
            )
            self._tasks[stream] = asyncio.create_task(feed_stream.run(), name=str(stream))
            log.info("stream start stream=%s position=%d", stream, point.position)
        self._observe()

    def _stream_options(self) -> StreamOptions:
        s = self._settings
        return StreamOptions(
            base_url=s.feed_url,
            channel=s.channel,
            token=s.vendor_token.get_secret_value(),
            speed=s.speed,
            liveness_s=s.liveness_s,
            auth_retry_s=s.auth_retry_s,
            exit_on_auth_failure=s.exit_on_auth_failure,
            raw_topic=lambda stream: self._topics.raw(stream.feed),
            feeds=s.feeds,
            tls=s.feed_ssl_context(),
        )

    async def _supervise(self) -> None:
        background = [asyncio.create_task(self._renewals())]
        if self._settings.discovery_url is not None:
            background.append(asyncio.create_task(self._discover()))
        stopped = asyncio.create_task(self._stop.wait())
        try:
            while not stopped.done():
                self._forget_finished()
                self._observe()
                if not self._tasks and self._settings.discovery_url is None:
                    log.info("every stream has finished")
                    return
                waiting: set[asyncio.Future[Any]] = {
                    stopped,
                    self._publisher.failed,
                    *self._tasks.values(),
                }
                done, _ = await asyncio.wait(
                    waiting, timeout=1.0, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    failure = None if task is stopped else task.exception()
                    if failure is not None:
                        raise failure
        finally:
            stopped.cancel()
            for task in background:
                task.cancel()

    def _forget_finished(self) -> None:
        """Move finished streams out of the running ones; forget those finished `ttl_s` ago,
        and a fixture's status once none of its streams is left."""
        now = time.monotonic()
        for stream, task in list(self._tasks.items()):
            if task.done() and not task.cancelled() and task.exception() is None:
                del self._tasks[stream]
                self._finished.add(stream, now)
        for stream in self._finished.forget(now):
            log.info("stream forgotten stream=%s", stream)
            kept = (
                StreamId(stream.fixture_id, stream.sport, feed) for feed in self._settings.feeds
            )
            if not any(s in self._tasks or s in self._finished for s in kept):
                self._status.pop(stream.fixture_id, None)
                self._dirty.pop(stream.fixture_id, None)

    def _observe(self) -> None:
        self._metrics.open_streams.set(sum(not t.done() for t in self._tasks.values()))
        counts = count_states(self._status.values())
        for state in State:
            self._metrics.states.labels(state.value).set(counts[state])

    async def _shutdown(self) -> None:
        """Stop reading, write DOWN (valid no longer) for what it held, flush it all to Kafka."""
        held = self._held()
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        now = now_us()
        for fixture_id, streams in held.items():
            release(self._status[fixture_id], streams, now)
            self._dirty.pop(fixture_id, None)
        self._observe()
        with contextlib.suppress(Exception):  # Kafka gone: the lease running out says it
            async with asyncio.timeout(RELEASE_S):
                await self._write_checkpoints()
                for streams in held.values():
                    await self._publish_status(streams[0], released=True)
        await self._publisher.stop()
        log.info("producer stopped streams=%d", len(self._tasks) + len(self._finished))

    # -- feed-status ----------------------------------------------------------------------

    async def _report(self, stream: StreamId, state: State, reason: str | None) -> None:
        if not self._status[stream.fixture_id].enter(stream, state, now_us(), reason):
            return
        log.info("feed-status stream=%s state=%s reason=%s", stream, state.value, reason or "")
        await self._publish_status(stream)

    def _acknowledged(self, stream: StreamId, position: int, offset: int) -> None:
        self._status[stream.fixture_id].acknowledge(stream, position, offset, now_us())
        self._dirty[stream.fixture_id] = stream

    def _heartbeat(self, stream: StreamId) -> None:
        status = self._status[stream.fixture_id]
        previous = status.feeds.get(stream.feed)
        now = now_us()
        if previous is not None and previous.last_heartbeat_us is not None:
            self._metrics.heartbeat_gap.observe((now - previous.last_heartbeat_us) / 1e6)
        status.heartbeat(stream, now)
        self._metrics.heartbeats.labels(stream.sport.slug, stream.feed.value).inc()

    async def _publish_status(self, stream: StreamId, *, released: bool = False) -> None:
        now = now_us()
        record = self._status[stream.fixture_id].record(stream, now)
        self._lease.stamp(record, now, released=released)
        await self._publisher.publish(
            self._topics.feed_status, stream.fixture_id.encode(), self._codec.encode(record), []
        )

    async def _renewals(self) -> None:
        """The lease: a record per fixture streamed every RENEW_S (also the checkpoints), each
        fixture in its own slot of the second."""
        slot = 0
        while True:
            await asyncio.sleep(RENEW_S / RENEWAL_SLOTS)
            slot = (slot + 1) % RENEWAL_SLOTS
            for fixture_id, streams in self._held().items():
                if renewal_slot(fixture_id) == slot:
                    self._dirty[fixture_id] = streams[0]
            await self._write_checkpoints(slot)

    def _held(self) -> dict[str, list[StreamId]]:
        """The fixtures being streamed, with their running streams."""
        held: dict[str, list[StreamId]] = {}
        for stream, task in self._tasks.items():
            if not task.done():
                held.setdefault(stream.fixture_id, []).append(stream)
        return held

    async def _write_checkpoints(self, slot: int | None = None) -> None:
        """Write the changed feed-status records: the slot's fixtures' (None: every one)."""
        due = [f for f in self._dirty if slot is None or renewal_slot(f) == slot]
        for fixture_id in due:
            await self._publish_status(self._dirty.pop(fixture_id))

    # -- discovery ------------------------------------------------------------------------

    async def _discover(self) -> None:
        base = self._settings.discovery_url
        token = self._settings.vendor_token.get_secret_value()
        async with httpx.AsyncClient(
            base_url=str(base),
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
            verify=self._settings.feed_ssl_context() or True,
        ) as client:
            while True:
                found: list[tuple[Sport, str]] = []
                for sport in self._settings.discovery_sports:
                    found += await _live_fixtures(client, sport)
                await self.add(found)
                await asyncio.sleep(self._settings.discovery_interval_s)


async def _live_fixtures(client: httpx.AsyncClient, sport: Sport) -> list[tuple[Sport, str]]:
    fixtures: list[tuple[Sport, str]] = []
    for page in range(100):  # bounded: at most 100 pages of 100
        try:
            query: dict[str, str | int] = {"live": "true", "size": 100, "page": page}
            answer = await _get(client, f"/{sport.value}/fixtures", query)
            answer.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("discovery failed sport=%s reason=%s", sport.slug, type(exc).__name__)
            return fixtures
        items = answer.json()
        fixtures += [(sport, str(item["id"])) for item in items]
        if len(items) < 100:
            break
    return fixtures


async def _get(client: httpx.AsyncClient, path: str, query: dict[str, str | int]) -> httpx.Response:
    """GET, tried once more when the kept-alive connection was closed under it.

    Servers and load balancers close idle connections, and a request sent as they do fails
    without having been read; the pool then drops that connection, so the retry opens a
    fresh one.
    """
    try:
        return await client.get(path, params=query)
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
        return await client.get(path, params=query)
