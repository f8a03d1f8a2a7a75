"""FeedStream against the simulator on a local port, publishing into a recording fake: no Kafka.

Expected frames are the simulator's ground truth, `fixture.stream(feed).frames`, and expected
states are what the README's producer guarantees promise.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, cast

import pytest

from producers.metrics import Metrics
from producers.protocol import StreamId
from producers.publisher import Headers, Publisher
from producers.status import State
from producers.stream import (
    AuthRejected,
    Backoff,
    FeedStream,
    RateLimiter,
    StreamHooks,
    StreamOptions,
)
from sportsfeed.core.vendor import Channel, Feed
from sportsfeed.simulator.catalogue import SimFixture, generate_catalogue
from sportsfeed.simulator.faults import FaultPlan
from sportsfeed.simulator.render import TimedFrame
from sportsfeed.simulator.server import FeedSimulator, ServerOptions

TOKEN = "stream-test-token"
UNKNOWN_FIXTURE = "00000000-0000-4000-8000-000000000000"
FRAME_LIMIT = 1_048_576  # the README: a frame of up to 1 MiB is published as it came


@dataclass(frozen=True)
class Acked:
    offset: int  # all FeedStream reads of Kafka's RecordMetadata


@dataclass(frozen=True)
class Published:
    value: bytes
    headers: dict[str, bytes]


class FakePublisher:
    """Records what would go to Kafka, per (topic, key), and acknowledges each record at once.

    `stalls` maps a record's number (1-based, over all streams) to seconds that `publish` waits
    first, as the real one does when Kafka is slow to take records.
    """

    def __init__(self, stalls: dict[int, float] | None = None) -> None:
        self.records: dict[tuple[str, bytes], list[Published]] = defaultdict(list)
        self._stalls = stalls or {}
        self._count = 0

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: Headers
    ) -> asyncio.Future[Acked]:
        self._count += 1
        await asyncio.sleep(self._stalls.get(self._count, 0))
        partition = self.records[topic, key]
        partition.append(Published(value, dict(headers)))
        delivery: asyncio.Future[Acked] = asyncio.get_running_loop().create_future()
        delivery.set_result(Acked(offset=len(partition) - 1))
        return delivery


@dataclass
class Observed:
    """What streams told their owner through their hooks, per stream."""

    states: dict[StreamId, list[tuple[State, str | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    acknowledged: dict[StreamId, list[tuple[int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    heartbeats: dict[StreamId, int] = field(default_factory=lambda: defaultdict(int))
    attempts: list[float] = field(default_factory=list)  # when connections were attempted
    on_report: Callable[[StreamId, State, str | None], None] = lambda *_: None

    async def _report(self, stream: StreamId, state: State, reason: str | None) -> None:
        self.states[stream].append((state, reason))
        if state is State.CONNECTING:
            self.attempts.append(time.monotonic())
        self.on_report(stream, state, reason)

    def _acknowledged(self, stream: StreamId, position: int, offset: int) -> None:
        self.acknowledged[stream].append((position, offset))

    def _heartbeat(self, stream: StreamId) -> None:
        self.heartbeats[stream] += 1

    def hooks(self) -> StreamHooks:
        return StreamHooks(self._report, self._acknowledged, self._heartbeat)

    def reasons(self, stream: StreamId, state: State) -> list[str | None]:
        return [reason for seen, reason in self.states[stream] if seen is state]


@contextlib.asynccontextmanager
async def serving(fixtures: dict[str, SimFixture], **options: Any) -> AsyncIterator[FeedSimulator]:
    """The simulator on a free local port, quick to close finished streams."""
    defaults: dict[str, Any] = {"heartbeat_s": 0.3, "close_after_s": 0.1, "media_delay_s": 0.0}
    server_options = ServerOptions(tokens=frozenset({TOKEN}), **defaults | options)
    simulator = FeedSimulator(fixtures, server_options)
    await simulator.start(host="127.0.0.1")
    try:
        yield simulator
    finally:
        await simulator.stop()


def stream_options(simulator: FeedSimulator, **changes: Any) -> StreamOptions:
    options = StreamOptions(
        base_url=f"ws://127.0.0.1:{simulator.port}",
        channel=Channel.BETTING,
        token=TOKEN,
        speed="fast",
        liveness_s=2.0,
        auth_retry_s=0.1,
        exit_on_auth_failure=False,
        raw_topic=lambda stream: f"raw-{stream.feed.value}",
        feeds=tuple(Feed),
    )
    return replace(options, **changes)


def streams_of(fixtures: Iterable[SimFixture]) -> list[StreamId]:
    return [StreamId(f.fixture_id, f.sport, feed) for f in fixtures for feed in Feed]


def one_fixture(seed: int) -> tuple[dict[str, SimFixture], SimFixture, StreamId]:
    """A catalogue of one generated fixture, the fixture, and its actions stream."""
    fixtures = generate_catalogue(1, seed=seed)
    (fixture,) = fixtures.values()
    return fixtures, fixture, StreamId(fixture.fixture_id, fixture.sport, Feed.ACTIONS)


def serving_actions(fixture: SimFixture, actions: list[TimedFrame]) -> dict[str, SimFixture]:
    """A catalogue in which the vendor serves `actions` as the fixture's actions stream."""
    served = SimFixture(
        fixture.fixture_id,
        fixture.sport,
        fixture.home,
        fixture.away,
        fixture.start_iso,
        clean={Feed.ACTIONS: actions},
    )
    return {fixture.fixture_id: served}


async def run_streams(
    streams: list[StreamId],
    options: StreamOptions,
    publisher: FakePublisher,
    observed: Observed,
    position: int = 0,
    connects_per_s: float = 200,
    timeout_s: float = 10.0,
) -> None:
    """Run one FeedStream per stream, sharing a limiter as the producer does, until all end."""
    limiter, metrics = RateLimiter(connects_per_s), Metrics()
    kafka = cast(Publisher, publisher)  # FeedStream calls only `publish`, which the fake has
    runs = [
        FeedStream(stream, position, options, kafka, limiter, metrics, observed.hooks()).run()
        for stream in streams
    ]
    await asyncio.wait_for(asyncio.gather(*runs), timeout_s)


def published(publisher: FakePublisher, stream: StreamId) -> list[Published]:
    return publisher.records[f"raw-{stream.feed.value}", stream.fixture_id.encode()]


def expected_texts(fixture: SimFixture, feed: Feed, after: int = 0) -> list[bytes]:
    """The simulator's ground truth: the frames it serves on `feed`, after `after` of them."""
    return [frame.text.encode() for frame in fixture.stream(feed).frames[after:]]


def assert_published_exactly(
    publisher: FakePublisher,
    fixtures: dict[str, SimFixture],
    streams: list[StreamId],
    after: int = 0,
) -> None:
    """Each stream's frames once, in order, under its fixture's key, positions counting on."""
    expected_keys = {(f"raw-{s.feed.value}", s.fixture_id.encode()) for s in streams}
    assert set(publisher.records) == expected_keys
    for stream in streams:
        records = published(publisher, stream)
        assert [r.value for r in records] == expected_texts(
            fixtures[stream.fixture_id], stream.feed, after
        )
        positions = [int(r.headers["position"]) for r in records]
        assert positions == list(range(after + 1, after + len(records) + 1))


@pytest.fixture
def backoff_delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays streams draw from Backoff before reconnecting, in order; each is slept a
    hundred times shorter, so that tests reconnecting many times stay quick."""
    drawn: list[float] = []

    class Recorded(Backoff):
        def next(self) -> float:
            drawn.append(super().next())
            return drawn[-1] / 100

    monkeypatch.setattr("producers.stream.Backoff", Recorded)
    return drawn


def within(delays: list[float], ceilings: list[float]) -> bool:
    """Whether each delay lies between half its ceiling and its ceiling (Backoff's jitter)."""
    return len(delays) == len(ceilings) and all(
        ceiling / 2 <= delay <= ceiling for delay, ceiling in zip(delays, ceilings, strict=True)
    )


def http_statuses(reasons: Iterable[str | None]) -> list[int]:
    """The HTTP statuses named by DOWN reasons of refused handshakes, in order."""
    return [int(m[1]) for r in reasons if r and (m := re.search(r"HTTP (\d{3})", r))]


async def test_every_frame_is_published_once_in_order_keyed_by_fixture() -> None:
    fixtures = generate_catalogue(3, seed=41)
    # repeats and malformed frames are part of the vendor's stream: published as they came
    next(iter(fixtures.values())).set_faults(FaultPlan(duplicate_rate=0.05, malformed_rate=0.05))
    publisher, observed = FakePublisher(), Observed()
    # a heartbeat after the replay burst tells the stream it is live
    async with serving(fixtures, heartbeat_s=0.2, close_after_s=0.5) as simulator:
        streams = streams_of(fixtures.values())
        await run_streams(streams, stream_options(simulator), publisher, observed)
        assert sum(simulator.connections.values()) == len(streams)  # no reconnect was needed
    assert_published_exactly(publisher, fixtures, streams)
    for stream in streams:
        count = len(fixtures[stream.fixture_id].stream(stream.feed).frames)
        assert [state for state, _ in observed.states[stream]] == [
            State.CONNECTING,
            State.CATCHING_UP,
            State.LIVE,
            State.FINISHED,
        ]
        acks = observed.acknowledged[stream]
        assert acks == [(position, position - 1) for position in range(1, count + 1)]


async def test_records_carry_the_stream_headers_without_the_query() -> None:
    fixtures, fixture, stream = one_fixture(seed=42)
    publisher = FakePublisher()
    async with serving(fixtures) as simulator:
        options = stream_options(simulator, channel=Channel.MEDIA, feeds=(Feed.ACTIONS,))
        await run_streams([stream], options, publisher, Observed())
        port = simulator.port
    first = published(publisher, stream)[0].headers
    path = f"/media/{fixture.sport.value}/fixtures/{fixture.fixture_id}/actions"
    assert first["source"] == f"ws://127.0.0.1:{port}{path}".encode()
    assert first["sport"] == fixture.sport.value.encode()
    assert (first["feed"], first["channel"], first["feeds"]) == (b"actions", b"media", b"actions")
    assert not any(TOKEN.encode() in value for value in first.values())


async def test_a_stream_started_at_a_position_publishes_only_what_follows() -> None:
    fixtures = generate_catalogue(2, seed=43)
    publisher = FakePublisher()
    async with serving(fixtures) as simulator:
        streams = streams_of(fixtures.values())
        await run_streams(streams, stream_options(simulator), publisher, Observed(), position=30)
    assert_published_exactly(publisher, fixtures, streams, after=30)


async def test_dropped_connections_resume_with_nothing_lost_or_repeated() -> None:
    fixtures = generate_catalogue(2, seed=44)
    for fixture in fixtures.values():  # two abrupt closes per stream, each after 40 frames
        fixture.set_faults(FaultPlan(drop_after=40, faulty_connections=2))
    publisher, observed = FakePublisher(), Observed()
    async with serving(fixtures) as simulator:
        streams = streams_of(fixtures.values())
        await run_streams(streams, stream_options(simulator), publisher, observed)
        assert set(simulator.connections.values()) == {3}
    assert_published_exactly(publisher, fixtures, streams)
    for stream in streams:
        assert observed.reasons(stream, State.DOWN) == ["connection closed (code 1006)"] * 2
        assert observed.states[stream][-1] == (State.FINISHED, None)


async def test_a_silent_stream_is_reported_stale_and_resumed() -> None:
    fixtures, fixture, _ = one_fixture(seed=45)
    fixture.set_faults(FaultPlan(silence_after=25, faulty_connections=1))  # no heartbeat either
    publisher, observed = FakePublisher(), Observed()
    async with serving(fixtures) as simulator:
        streams = streams_of(fixtures.values())
        await run_streams(streams, stream_options(simulator, liveness_s=1.0), publisher, observed)
        assert set(simulator.connections.values()) == {2}
    assert_published_exactly(publisher, fixtures, streams)
    for stream in streams:
        assert observed.reasons(stream, State.STALE) == ["no heartbeat nor data"]
        assert observed.states[stream][-1] == (State.FINISHED, None)


async def test_heartbeats_keep_a_quiet_stream_open_and_live() -> None:
    fixtures, fixture, stream = one_fixture(seed=46)
    fixture.kickoff_delay_s = 2.5  # silent but for heartbeats, far longer than the liveness limit
    publisher, observed = FakePublisher(), Observed()
    async with serving(fixtures, heartbeat_s=0.2, multiplier=20_000) as simulator:
        options = stream_options(simulator, speed="normal", liveness_s=1.0)
        await run_streams([stream], options, publisher, observed)
        assert sum(simulator.connections.values()) == 1
    assert [state for state, _ in observed.states[stream]] == [
        State.CONNECTING,
        State.CATCHING_UP,
        State.LIVE,
        State.FINISHED,
    ]
    assert observed.heartbeats[stream] >= 5  # 2.5 s of waiting, one every 0.2 s
    assert_published_exactly(publisher, fixtures, [stream])


async def test_waiting_on_a_slow_kafka_is_not_the_vendors_silence() -> None:
    fixtures, _, stream = one_fixture(seed=47)
    publisher, observed = FakePublisher(stalls={10: 2.0}), Observed()  # 2.5 liveness limits
    async with serving(fixtures) as simulator:
        await run_streams([stream], stream_options(simulator, liveness_s=0.8), publisher, observed)
        assert sum(simulator.connections.values()) == 1
    assert observed.reasons(stream, State.STALE) == []
    assert_published_exactly(publisher, fixtures, [stream])


async def test_five_404s_in_a_row_give_the_stream_up(backoff_delays: list[float]) -> None:
    fixtures, fixture, _ = one_fixture(seed=48)
    stream = StreamId(UNKNOWN_FIXTURE, fixture.sport, Feed.ACTIONS)
    publisher, observed = FakePublisher(), Observed()
    async with serving(fixtures) as simulator:
        await run_streams([stream], stream_options(simulator), publisher, observed)
    states = observed.states[stream]
    assert [state for state, _ in states] == [State.CONNECTING, State.DOWN] * 4 + [
        State.CONNECTING,
        State.FAILED,
    ]
    assert http_statuses(observed.reasons(stream, State.DOWN)) == [404] * 4
    reason = states[-1][1]
    assert reason is not None
    assert reason.startswith("given up:")
    assert "404" in reason
    assert publisher.records == {}
    assert within(backoff_delays, [0.5, 1.0, 2.0, 4.0])  # longer after each refusal


@pytest.mark.usefixtures("backoff_delays")
async def test_404s_interrupted_by_another_refusal_start_counting_again() -> None:
    fixtures, fixture, stream = one_fixture(seed=49)
    fixture.set_faults(FaultPlan(refuse_first=1))  # its first accepted attempt: HTTP 503
    publisher, observed = FakePublisher(), Observed()
    async with serving({}) as simulator:
        known_at = {4, 9}  # attempts 1-3 and 5-8 find the fixture unknown (HTTP 404)

        def listing(_: StreamId, state: State, __: str | None) -> None:
            if state is State.CONNECTING:
                attempt = len(observed.reasons(stream, State.CONNECTING))
                simulator.fixtures = fixtures if attempt in known_at else {}

        observed.on_report = listing
        await run_streams([stream], stream_options(simulator), publisher, observed)
    down = observed.reasons(stream, State.DOWN)
    assert http_statuses(down) == [404, 404, 404, 503, 404, 404, 404, 404]
    assert observed.states[stream][-1] == (State.FINISHED, None)
    assert_published_exactly(publisher, fixtures, [stream])


async def test_a_refused_token_is_failed_without_the_token_then_retried() -> None:
    fixtures, fixture, stream = one_fixture(seed=50)
    publisher, observed = FakePublisher(), Observed()
    async with serving(fixtures) as simulator:
        accepted = simulator.options
        simulator.options = replace(accepted, tokens=frozenset({"someone-else"}))

        def vendor_accepts_after_first_failure(_: StreamId, state: State, __: str | None) -> None:
            if state is State.FAILED:
                simulator.options = accepted

        observed.on_report = vendor_accepts_after_first_failure
        await run_streams([stream], stream_options(simulator), publisher, observed)
        source = f"ws://127.0.0.1:{simulator.port}/{fixture.sport.value}/fixtures/"
    assert observed.reasons(stream, State.FAILED) == [
        f"{source}{fixture.fixture_id}/actions refused the vendor token: "
        "The supplied authentication is invalid"
    ]
    assert observed.states[stream][-1] == (State.FINISHED, None)
    assert_published_exactly(publisher, fixtures, [stream])


async def test_a_refused_token_ends_the_stream_when_told_to_exit() -> None:
    fixtures, _, stream = one_fixture(seed=51)
    observed = Observed()
    async with serving(fixtures) as simulator:
        options = stream_options(simulator, token="not-the-vendors", exit_on_auth_failure=True)
        with pytest.raises(AuthRejected) as rejected:
            await run_streams([stream], options, FakePublisher(), observed)
    assert "not-the-vendors" not in str(rejected.value)
    assert [state for state, _ in observed.states[stream]] == [State.CONNECTING, State.FAILED]


async def test_a_clean_close_before_the_end_resets_the_backoff(
    backoff_delays: list[float],
) -> None:
    fixtures, fixture, stream = one_fixture(seed=52)
    frames = fixture.stream(Feed.ACTIONS).frames
    publisher, observed = FakePublisher(), Observed()
    # the vendor closes the stream cleanly, the fixture not finished (its last frame held back),
    # three times; then it serves the whole stream
    async with serving(serving_actions(fixture, frames[:-1])) as simulator:

        def vendor(*_: object) -> None:
            if observed.reasons(stream, State.DOWN) == ["closed by the vendor"] * 3:
                simulator.fixtures = fixtures

        observed.on_report = vendor
        await run_streams([stream], stream_options(simulator), publisher, observed)
    assert observed.reasons(stream, State.DOWN) == ["closed by the vendor"] * 3
    assert observed.states[stream][-1] == (State.FINISHED, None)
    assert within(backoff_delays, [0.5, 0.5, 0.5])  # each reconnect from the first delay
    assert_published_exactly(publisher, fixtures, [stream])


@pytest.mark.parametrize(
    ("plan", "ended", "reason"),
    [
        (
            FaultPlan(drop_after=15, faulty_connections=6),
            State.DOWN,
            "connection closed (code 1006)",
        ),
        (FaultPlan(silence_after=15, faulty_connections=2), State.STALE, "no heartbeat nor data"),
    ],
    ids=["dropped", "silent"],
)
async def test_a_stream_that_delivered_frames_reconnects_after_the_first_delay(
    backoff_delays: list[float], plan: FaultPlan, ended: State, reason: str
) -> None:
    fixtures, fixture, stream = one_fixture(seed=55)
    fixture.set_faults(plan)  # every faulty connection delivers 15 frames, then ends
    interruptions = plan.faulty_connections or 0
    publisher, observed = FakePublisher(), Observed()
    async with serving(fixtures) as simulator:
        await run_streams([stream], stream_options(simulator, liveness_s=0.8), publisher, observed)
    assert observed.reasons(stream, ended) == [reason] * interruptions
    assert observed.states[stream][-1] == (State.FINISHED, None)
    # none of them was a failure: counted as failures, the ceilings would double: 0.5, 1, 2 ...
    assert within(backoff_delays, [0.5] * interruptions)
    assert_published_exactly(publisher, fixtures, [stream])


async def test_a_stream_live_on_heartbeats_alone_reconnects_after_the_first_delay(
    backoff_delays: list[float],
) -> None:
    fixtures, fixture, stream = one_fixture(seed=56)
    # before kick-off the vendor sends heartbeats only; it drops the first two connections at
    # kick-off, which moves 0.4 s later at each drop, so each connection sees about 3 heartbeats
    fixture.kickoff_delay_s = 0.4
    fixture.set_faults(FaultPlan(drop_after=0, faulty_connections=2))
    publisher, observed = FakePublisher(), Observed()
    async with serving(fixtures, heartbeat_s=0.1, multiplier=20_000) as simulator:

        def kick_off_later(_: StreamId, state: State, __: str | None) -> None:
            if state is State.DOWN:
                fixture.kickoff_delay_s += 0.4

        observed.on_report = kick_off_later
        options = stream_options(simulator, speed="normal", liveness_s=1.0)
        await run_streams([stream], options, publisher, observed)
    assert observed.reasons(stream, State.DOWN) == ["connection closed (code 1006)"] * 2
    assert observed.heartbeats[stream] >= 4  # two connections of 0.4 s, one every 0.1 s
    assert within(backoff_delays, [0.5, 0.5])
    assert_published_exactly(publisher, fixtures, [stream])


async def test_connections_that_fail_at_once_back_off_longer_each_time(
    backoff_delays: list[float],
) -> None:
    fixtures, fixture, stream = one_fixture(seed=57)
    # attempts 1-2 refused (HTTP 503); 3-4 accepted, then closed before their first frame
    fixture.set_faults(FaultPlan(refuse_first=2, drop_after=0, faulty_connections=4))
    publisher, observed = FakePublisher(), Observed()
    async with serving(fixtures) as simulator:
        await run_streams([stream], stream_options(simulator), publisher, observed)
    down = observed.reasons(stream, State.DOWN)
    assert http_statuses(down) == [503, 503]
    assert down[2:] == ["connection closed (code 1006)"] * 2
    assert within(backoff_delays, [0.5, 1.0, 2.0, 4.0])  # four failures in a row
    assert_published_exactly(publisher, fixtures, [stream])


async def test_connection_attempts_of_all_streams_share_the_rate_limit() -> None:
    fixtures = generate_catalogue(3, seed=53)
    observed = Observed()
    async with serving(fixtures) as simulator:
        streams = streams_of(fixtures.values())
        await run_streams(
            streams, stream_options(simulator), FakePublisher(), observed, connects_per_s=10
        )
    assert len(observed.attempts) == 6
    first = observed.attempts[0]
    for n, attempt in enumerate(observed.attempts):
        assert attempt - first >= n * 0.1 - 0.001, n  # one attempt per 0.1 s at most


async def test_a_frame_over_the_limit_is_published_as_a_stand_in_at_its_position() -> None:
    _, fixture, stream = one_fixture(seed=54)
    frames = fixture.stream(Feed.ACTIONS).frames
    at_limit, over_limit = padded(frames[4], FRAME_LIMIT), padded(frames[9], FRAME_LIMIT + 1)
    actions = [*frames[:4], at_limit, *frames[5:9], over_limit, *frames[10:]]
    publisher = FakePublisher()
    async with serving(serving_actions(fixture, actions)) as simulator:
        await run_streams([stream], stream_options(simulator), publisher, Observed())
    records = published(publisher, stream)
    assert [r.value for r in records] == [
        b"" if frame is over_limit else frame.text.encode() for frame in actions
    ]
    assert [int(r.headers["position"]) for r in records] == list(range(1, len(actions) + 1))
    assert [
        (n, r.headers["oversized"]) for n, r in enumerate(records) if "oversized" in r.headers
    ] == [(9, str(FRAME_LIMIT + 1).encode())]


def padded(frame: TimedFrame, size: int) -> TimedFrame:
    """The frame with a padding field that makes its text exactly `size` bytes."""
    head, tail = frame.text[:-1] + ',"padding":"', '"}'
    filler = size - len(head.encode()) - len(tail)
    return TimedFrame(frame.at, head + "x" * filler + tail)
