"""Simulator, step 3: serve the fixtures over the vendor's websocket protocol and REST discovery.

One HTTP port: websocket upgrades on the streams' paths, plain GETs on the discovery paths.
Per connection: `Accept` header check, auth message first, ack, then data frames from
`startPosition`, paced by match time (`speed=normal`, times `multiplier`) or as fast as the
client reads (`speed=fast`), with heartbeats whenever nothing else was sent for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import http
import re
import ssl
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import orjson
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from sportsfeed.core.redact import redacting_logger
from sportsfeed.core.vendor import ACCEPT, Channel, Feed, Sport
from sportsfeed.simulator.catalogue import SimFixture
from sportsfeed.simulator.faults import FaultPlan

POLICY_VIOLATION = 1008
_SPORTS = "|".join(re.escape(sport.value) for sport in Sport)
STREAM_PATH = re.compile(
    rf"^/(?:(?P<media>media)/)?(?P<sport>{_SPORTS})/fixtures/(?P<id>[0-9a-fA-F-]{{36}})"
    r"/(?P<feed>actions|statistics)$"
)
REST_PATH = re.compile(rf"^/(?P<sport>{_SPORTS})/fixtures(?:/(?P<id>[0-9a-fA-F-]{{36}}))?$")


@dataclass(frozen=True)
class ServerOptions:
    tokens: frozenset[str]
    heartbeat_s: float = 10.0
    multiplier: float = 1.0  # speed=normal plays match time this many times faster
    media_delay_s: float = 2.0  # the media channel lags the betting channel by this much
    close_after_s: float = 2.0  # a finished fixture's stream closes this long after its end
    auth_timeout_s: float = 10.0


def control(message: str, level: str = "INFO") -> str:
    return orjson.dumps({"message": message, "level": level}).decode()


def heartbeat() -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return control(f"Heartbeat sent at {now}")


class FeedSimulator:
    """The server: a catalogue of fixtures and the options it serves them with."""

    def __init__(self, fixtures: dict[str, SimFixture], options: ServerOptions) -> None:
        self.fixtures = fixtures
        self.options = options
        self.connections: Counter[tuple[str, Feed]] = Counter()  # attempts per stream
        self.frames_sent = 0
        self._started = time.monotonic()
        self._server: Server | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None
    ) -> None:
        """Listen on `host`:`port` (0: any free port); with `tls`, as wss:// like the vendor."""
        self._started = time.monotonic()
        self._server = await serve(
            self._handle,
            host,
            port,
            process_request=self._process_request,
            compression=None,
            ping_interval=None,  # the vendor's liveness signal is the heartbeat message
            max_size=1 << 16,
            logger=redacting_logger("simulator.websocket"),
            ssl=tls,
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    # -- HTTP: refusals and REST discovery ----------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return self._rest(connection, request)
        match = STREAM_PATH.match(path)
        if match is None or match["id"] not in self.fixtures:
            return connection.respond(http.HTTPStatus.NOT_FOUND, "Unknown fixture or feed\n")
        if request.headers.get("Accept") != ACCEPT:
            return connection.respond(
                http.HTTPStatus.BAD_REQUEST, "Request is missing required HTTP header 'Accept'\n"
            )
        fixture = self.fixtures[match["id"]]
        stream = (fixture.fixture_id, Feed(match["feed"]))
        self.connections[stream] += 1
        if self.connections[stream] <= fixture.plan.refuse_first:
            return connection.respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "Try again later\n")
        return None

    def _rest(self, connection: ServerConnection, request: Request) -> Response:
        split = urlsplit(request.path)
        match = REST_PATH.match(split.path)
        if match is None:
            return connection.respond(http.HTTPStatus.NOT_FOUND, "Not found\n")
        auth = request.headers.get("Authorization", "")
        if auth.removeprefix("Bearer ") not in self.options.tokens:
            return connection.respond(
                http.HTTPStatus.UNAUTHORIZED, "The supplied authentication is invalid\n"
            )
        sport = Sport(match["sport"])
        if match["id"] is not None:
            fixture = self.fixtures.get(match["id"])
            if fixture is None or fixture.sport is not sport:
                return connection.respond(http.HTTPStatus.NOT_FOUND, "Unknown fixture\n")
            return _json(self._fixture_object(fixture))
        return _json(self._listing(sport, parse_qs(split.query)))

    def _listing(self, sport: Sport, query: dict[str, list[str]]) -> list[dict[str, object]]:
        wanted = {s.lower() for s in query.get("status", [])}
        if query.get("live", [""])[0] == "true":
            wanted.add("live")
        size = int(query.get("size", ["20"])[0])
        page = int(query.get("page", ["0"])[0])
        objects = [
            self._fixture_object(f)
            for f in sorted(self.fixtures.values(), key=lambda f: f.fixture_id)
            if f.sport is sport
        ]
        selected = [o for o in objects if not wanted or str(o["status"]).lower() in wanted]
        return selected[page * size : (page + 1) * size]

    def _fixture_object(self, fixture: SimFixture) -> dict[str, object]:
        status = self.status(fixture)
        return {
            "id": fixture.fixture_id,
            "name": fixture.name,
            "status": status,
            "collectionStatus": {"Scheduled": "CollectionScheduled", "Live": "CollectingLive"}.get(
                status, "CollectionCompleted"
            ),
            "type": "simulation",
            "coverageLevel": "full",
            "startDateUTC": fixture.start_iso + "Z",
            "teams": [{"id": t.id, "name": t.name} for t in (fixture.home, fixture.away)],
        }

    def status(self, fixture: SimFixture) -> str:
        """Scheduled before kick-off, Live until its last frame is due, then Completed."""
        frames = fixture.stream(Feed.ACTIONS).frames
        now = time.monotonic()
        if now < self._release(fixture, 0.0):
            return "Scheduled"
        if frames and now < self._release(fixture, frames[-1].at):
            return "Live"
        return "Completed"

    def _release(self, fixture: SimFixture, at: float) -> float:
        """When (monotonic) a frame at match time `at` is due at normal speed."""
        return self._started + fixture.kickoff_delay_s + at / self.options.multiplier

    # -- websocket streams -------------------------------------------------------------------

    async def _handle(self, connection: ServerConnection) -> None:
        path = urlsplit(connection.request.path if connection.request else "")
        match = STREAM_PATH.match(path.path)
        if match is None or not await self._authorised(connection):
            return  # _process_request already refused every other path
        query = parse_qs(path.query)
        fixture = self.fixtures[match["id"]]
        feed = Feed(match["feed"])
        channel = Channel.MEDIA if match["media"] else Channel.BETTING
        start = _non_negative_int(query.get("startPosition", ["0"])[0])
        fast = query.get("speed", ["normal"])[0] == "fast"
        number = self.connections[fixture.fixture_id, feed]
        with contextlib.suppress(ConnectionClosed):
            await self._stream(connection, fixture, feed, channel, start, fast, number)

    async def _authorised(self, connection: ServerConnection) -> bool:
        try:
            first = await asyncio.wait_for(connection.recv(), self.options.auth_timeout_s)
        except (TimeoutError, ConnectionClosed):
            await connection.close(POLICY_VIOLATION, "no authorisation message")
            return False
        token = _auth_token(first)
        if token is None:
            await connection.send(control("Malformed authorisation message", "ERROR"))
            await connection.close(POLICY_VIOLATION, "malformed authorisation message")
            return False
        if token not in self.options.tokens:
            await connection.send(control("The supplied authentication is invalid", "ERROR"))
            await connection.close(POLICY_VIOLATION, "invalid authentication")
            return False
        await connection.send(control("Authorisation accepted"))
        return True

    async def _stream(
        self,
        connection: ServerConnection,
        fixture: SimFixture,
        feed: Feed,
        channel: Channel,
        start: int,
        fast: bool,
        number: int,
    ) -> None:
        plan = fixture.plan
        faulty = plan.hits(number)
        rng_state = zlib.crc32(f"{fixture.fixture_id}:{feed.value}:{number}".encode())
        frames = fixture.stream(feed).frames
        lag = self.options.media_delay_s if channel is Channel.MEDIA else 0.0
        for sent, frame in enumerate(frames[start:]):
            if not fast:
                await self._wait(connection, self._release(fixture, frame.at) + lag)
            if faulty and plan.silence_after is not None and sent >= plan.silence_after:
                await connection.wait_closed()  # silent: no data, no heartbeat
                return
            if faulty and _drops(plan, sent, rng_state):
                connection.transport.abort()
                return
            if plan.delay_s and faulty:
                await asyncio.sleep(plan.delay_s)
            await connection.send(frame.text)
            self.frames_sent += 1
        await self._wait(connection, time.monotonic() + self.options.close_after_s)
        await connection.close(1000, "fixture finished")

    async def _wait(self, connection: ServerConnection, due: float) -> None:
        """Sleep until `due` (monotonic), sending a heartbeat every `heartbeat_s` meanwhile."""
        while (left := due - time.monotonic()) > 0:
            if left > self.options.heartbeat_s:
                await asyncio.sleep(self.options.heartbeat_s)
                await connection.send(heartbeat())
            else:
                await asyncio.sleep(left)


def _auth_token(message: str | bytes) -> str | None:
    """The token of a well-formed auth message, `{"authToken": "..."}`; else None."""
    try:
        token = orjson.loads(message)["authToken"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
    return token if isinstance(token, str) else None


def _drops(plan: FaultPlan, sent: int, rng_state: int) -> bool:
    if plan.drop_after is not None and sent >= plan.drop_after:
        return True
    if plan.drop_rate <= 0:
        return False
    # deterministic per connection and frame, without a random generator per connection
    value = ((rng_state * 1103515245 + sent * 12345) & 0x7FFFFFFF) / 0x7FFFFFFF
    return value < plan.drop_rate


def _non_negative_int(text: str) -> int:
    try:
        return max(0, int(text))
    except ValueError:
        return 0


def _json(body: object) -> Response:
    # websockets closes the connection after any answer but a websocket upgrade: saying so
    # keeps an HTTP/1.1 client from sending its next request down a closed connection
    headers = Headers([("Content-Type", "application/json"), ("Connection", "close")])
    payload = orjson.dumps(body)
    headers["Content-Length"] = str(len(payload))
    return Response(200, "OK", headers, payload)
