"""Producer, step 2: one vendor stream, from websocket to raw topic, across reconnects.

The loop is hand-written rather than `async for ws in websockets.connect(...)` because every
reconnect needs a new URL: `startPosition` is the count of frames already handed to Kafka, so
the vendor resumes right after them and the raw topic gets every frame once, in order.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidStatus,
)

from producers.metrics import Metrics
from producers.protocol import (
    StreamId,
    auth_message,
    classify,
    loggable_url,
    marks_finished,
    raw_headers,
    stand_in,
    stream_url,
)
from producers.publisher import Headers, Publisher
from producers.status import GAVE_UP, State
from sportsfeed.core.errors import SportsfeedError
from sportsfeed.core.limits import FRAME_LIMIT
from sportsfeed.core.redact import redacting_logger
from sportsfeed.core.vendor import ACCEPT, Channel, Feed

log = logging.getLogger(__name__)
_WEBSOCKET_LOG = redacting_logger("producers.websocket")  # frame-level debug logs, token-free

_CAUGHT_UP_QUIET_S = 0.25  # a wait this long for a frame: the replay burst is over
# Frames are read whatever their size, so that one over the raw topics' limit is reported and
# skipped (`producers.publisher`) instead of closing the connection at the same frame forever.
_MAX_FRAME_BYTES = 64 << 20
# A stream the vendor answers with HTTP 404 (unknown fixture or feed) this many times in a row
# is given up: FAILED, and not resumed on the next start (`producers.recovery`).
GIVE_UP_AFTER_NOT_FOUND = 5


class AuthRejected(SportsfeedError):
    """The vendor refused the token (never part of the message)."""


class Stale(SportsfeedError):
    """Neither heartbeat nor data within the liveness limit; `FeedStream.run` reconnects."""


@dataclass(frozen=True)
class StreamOptions:
    base_url: str
    channel: Channel
    token: str
    speed: str
    liveness_s: float
    auth_retry_s: float
    exit_on_auth_failure: bool
    raw_topic: Callable[[StreamId], str]
    feeds: tuple[Feed, ...]  # subscribed per fixture: tells processors who scores a fixture
    tls: ssl.SSLContext | None = None  # for wss://; None: verify against the system's CAs


class Backoff:
    """Exponential backoff with full jitter: 0.5 s, 1 s, 2 s ... up to 30 s.

    A stream resets it after every connection that worked (`FeedStream.run`): one that delivered
    a data frame or heartbeat, or that the vendor closed in order. So it grows only over
    failures in a row (refusals, connections ending before they delivered anything), which
    spares a dead endpoint, while a live stream's occasional drops each wait 0.25-0.5 s.
    """

    def __init__(self, first_s: float = 0.5, limit_s: float = 30.0) -> None:
        self._first, self._limit, self._attempt = first_s, limit_s, 0

    def reset(self) -> None:
        self._attempt = 0

    def next(self) -> float:
        ceiling = min(self._limit, self._first * 2**self._attempt)
        if ceiling < self._limit:  # counting on would overflow float after 1,024 failures
            self._attempt += 1
        return random.uniform(ceiling / 2, ceiling)  # jitter, not secrecy


class RateLimiter:
    """At most `per_second` connection attempts per second, shared by all streams."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass(frozen=True)
class StreamHooks:
    """What a stream tells its owner: state changes, acknowledged positions, heartbeats."""

    report: Callable[[StreamId, State, str | None], Awaitable[None]]
    acknowledged: Callable[[StreamId, int, int], None]
    heartbeat: Callable[[StreamId], None]


class FeedStream:
    """Moves one stream's frames to its raw topic until the fixture finishes."""

    def __init__(
        self,
        stream: StreamId,
        position: int,
        options: StreamOptions,
        publisher: Publisher,
        limiter: RateLimiter,
        metrics: Metrics,
        hooks: StreamHooks,
    ) -> None:
        self.stream = stream
        self.position = position  # frames handed to Kafka so far
        self._options = options
        self._publisher = publisher
        self._limiter = limiter
        self._metrics = metrics
        self._report = hooks.report
        self._acknowledged = hooks.acknowledged
        self._heartbeat = hooks.heartbeat
        self._last_seen = time.monotonic()  # when the connection last showed life
        self._publishing = False  # waiting on Kafka is not the vendor's silence
        self._stale = False
        self._delivered = False  # the current connection sent a data frame or heartbeat
        self._finished = False  # a frame published, in any session, said the fixture finished

    async def run(self) -> None:
        backoff = Backoff()
        not_found = 0  # HTTP 404 answers in a row
        while True:
            await self._limiter.wait()
            await self._report(self.stream, State.CONNECTING, None)
            url = stream_url(
                self._options.base_url,
                self.stream,
                self._options.channel,
                self.position,
                self._options.speed,
            )
            try:
                finished = await self._session(url)
                backoff.reset()
                not_found = 0
                if finished:
                    await self._report(self.stream, State.FINISHED, None)
                    return
                await self._report(self.stream, State.DOWN, "closed by the vendor")
            except AuthRejected as exc:
                await self._report(self.stream, State.FAILED, str(exc))
                log.error("auth rejected stream=%s host=%s", self.stream, loggable_url(url))  # noqa: TRY400
                if self._options.exit_on_auth_failure:
                    raise
                await asyncio.sleep(self._options.auth_retry_s)
                continue
            except Stale:
                await self._report(self.stream, State.STALE, "no heartbeat nor data")
                log.warning("stale stream=%s after=%.0fs", self.stream, self._options.liveness_s)
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed) as exc:
                not_found = not_found + 1 if _not_found(exc) else 0
                if not_found >= GIVE_UP_AFTER_NOT_FOUND:
                    await self._give_up(f"the vendor answered HTTP 404 {not_found} times in a row")
                    return
                await self._report(self.stream, State.DOWN, _reason(exc))
                log.warning("down stream=%s reason=%s", self.stream, _reason(exc))
            if self._delivered:  # a live stream's drop or silence is not one more failure in a row
                backoff.reset()
            self._metrics.reconnects.labels(self.stream.sport.slug, self.stream.feed.value).inc()
            await asyncio.sleep(backoff.next())

    async def _give_up(self, why: str) -> None:
        reason = f"{GAVE_UP}: {why}"
        await self._report(self.stream, State.FAILED, reason)
        log.error(
            "stream given up stream=%s position=%d reason=%s", self.stream, self.position, reason
        )

    async def _session(self, url: str) -> bool:
        """One connection; whether the fixture finished on it."""
        self._delivered = False
        async with connect(
            url,
            additional_headers={"Accept": ACCEPT},
            compression=None,
            ping_interval=None,  # liveness is the vendor's heartbeat, checked below
            max_size=_MAX_FRAME_BYTES,
            open_timeout=self._options.liveness_s,
            logger=_WEBSOCKET_LOG,
            **self._tls(url),
        ) as ws:
            await self._authorise(ws, url)
            await self._report(self.stream, State.CATCHING_UP, None)
            return await self._pump(ws, loggable_url(url))

    def _tls(self, url: str) -> dict[str, Any]:
        """websockets' `ssl` argument: ours for wss:// with a CA file, else its verifying one."""
        if self._options.tls is None or not url.startswith("wss://"):
            return {}
        return {"ssl": self._options.tls}

    async def _authorise(self, ws: ClientConnection, url: str) -> None:
        await ws.send(auth_message(self._options.token))
        answer = await asyncio.wait_for(ws.recv(), self._options.liveness_s)
        control = classify(str(answer))
        if control is None or control.is_error:
            said = control.message if control else "no answer"
            raise AuthRejected(f"{loggable_url(url)} refused the vendor token: {said}")

    async def _pump(self, ws: ClientConnection, source_url: str) -> bool:
        watchdog = asyncio.create_task(self._watch(ws))
        try:
            return await self._frames(ws, source_url)
        except ConnectionClosed:
            if self._stale:
                raise Stale from None
            raise
        finally:
            watchdog.cancel()

    async def _watch(self, ws: ClientConnection) -> None:
        """Close the connection once nothing arrived for the liveness limit.

        One timer per connection instead of one per frame (`asyncio.wait_for` around each
        `recv` costs a task per frame); time spent waiting on Kafka does not count as silence.
        """
        self._stale = False
        limit = self._options.liveness_s
        while True:
            idle = time.monotonic() - self._last_seen
            if idle >= limit and not self._publishing:
                self._stale = True
                ws.transport.abort()
                return
            await asyncio.sleep(max(limit - idle, 0.05))

    async def _frames(self, ws: ClientConnection, source_url: str) -> bool:
        live = False
        labels = (self.stream.sport.slug, self.stream.feed.value)
        frames, sizes = self._metrics.frames.labels(*labels), self._metrics.bytes.labels(*labels)
        topic, key = self._options.raw_topic(self.stream), self.stream.fixture_id.encode()
        self._last_seen = time.monotonic()
        while True:
            try:
                message = await ws.recv()
            except ConnectionClosedOK:
                return self._finished
            received = time.monotonic()
            if not live and received - self._last_seen > _CAUGHT_UP_QUIET_S:
                live = await self._went_live()
            self._last_seen = received
            text = message if isinstance(message, str) else message.decode()
            control = classify(text)
            if control is not None:
                if control.is_heartbeat:
                    self._delivered = True
                    self._heartbeat(self.stream)
                    live = live or await self._went_live()
                elif control.is_error:
                    log.warning("vendor error stream=%s message=%s", self.stream, control.message)
                continue
            self._delivered = True
            self.position += 1
            value = text.encode()
            headers = raw_headers(
                self.stream,
                self._options.channel,
                self.position,
                time.time_ns() // 1000,
                source_url,
                self._options.feeds,
            )
            if len(value) > FRAME_LIMIT:
                value, headers = self._oversized(len(value), headers)
            self._publishing = True
            delivery = await self._publisher.publish(topic, key, value, headers)
            self._publishing, self._last_seen = False, time.monotonic()
            delivery.add_done_callback(self._on_ack(self.position, received))
            frames.inc()
            sizes.inc(len(value))
            self._finished = self._finished or marks_finished(text)

    def _oversized(self, size: int, headers: Headers) -> tuple[bytes, Headers]:
        """Kafka would refuse the frame: a stand-in takes its position, and it is reported."""
        self._metrics.oversized.labels(self.stream.sport.slug, self.stream.feed.value).inc()
        log.warning(
            "oversized frame stream=%s position=%d bytes=%d limit=%d: a stand-in is published",
            self.stream,
            self.position,
            size,
            FRAME_LIMIT,
        )
        return stand_in(headers, size)

    async def _went_live(self) -> bool:
        await self._report(self.stream, State.LIVE, None)
        return True

    def _on_ack(self, position: int, received: float) -> Callable[[asyncio.Future[object]], None]:
        def done(delivery: asyncio.Future[object]) -> None:
            if delivery.cancelled() or delivery.exception() is not None:
                return
            self._metrics.publish_latency.observe(time.monotonic() - received)
            self._acknowledged(self.stream, position, delivery.result().offset)  # type: ignore[attr-defined]

        return done


def _not_found(exc: BaseException) -> bool:
    return isinstance(exc, InvalidStatus) and exc.response.status_code == 404


def _reason(exc: BaseException) -> str:
    """Why a connection failed, in words an operator can grep; never with credentials."""
    if isinstance(exc, ConnectionClosed):
        return f"connection closed (code {exc.rcvd.code if exc.rcvd else 1006})"
    if isinstance(exc, InvalidHandshake):
        return f"handshake refused: {type(exc).__name__}: {exc}"
    return f"{type(exc).__name__}: {exc}"
