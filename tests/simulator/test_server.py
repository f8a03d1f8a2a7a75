"""The simulator speaks the vendor's protocol, tested with a real websockets client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from sportsfeed.core.vendor import ACCEPT, Feed, Sport
from sportsfeed.simulator.catalogue import SimFixture, generate_catalogue, generated
from sportsfeed.simulator.faults import FaultPlan
from sportsfeed.simulator.server import FeedSimulator, ServerOptions

TOKEN = "test-token"
HEADERS = {"Accept": ACCEPT}


@pytest.fixture
async def simulator() -> AsyncIterator[FeedSimulator]:
    fixtures = generate_catalogue(5, seed=11)
    server = FeedSimulator(
        fixtures,
        ServerOptions(
            tokens=frozenset({TOKEN}),
            heartbeat_s=0.2,
            close_after_s=0.1,
            media_delay_s=0.0,
            multiplier=1.0,
        ),
    )
    await server.start()
    yield server
    await server.stop()


def _url(
    server: FeedSimulator, fixture: SimFixture, feed: Feed, query: str = "", media: bool = False
) -> str:
    prefix = "/media" if media else ""
    return (
        f"ws://127.0.0.1:{server.port}{prefix}/{fixture.sport.value}/fixtures/"
        f"{fixture.fixture_id}/{feed.value}{query}"
    )


def _first(server: FeedSimulator, sport: Sport) -> SimFixture:
    return next(f for f in server.fixtures.values() if f.sport is sport)


async def _authorise(ws: ClientConnection, token: str = TOKEN) -> dict[str, str]:
    await ws.send(orjson.dumps({"authToken": token}).decode())
    return dict(orjson.loads(await ws.recv()))


async def _read_all(ws: ClientConnection) -> list[str]:
    frames = []
    async for message in ws:
        assert isinstance(message, str)
        if '"level"' not in message:  # data frames only; control frames have message+level
            frames.append(message)
    return frames


async def test_missing_accept_header_is_refused_with_400(simulator: FeedSimulator) -> None:
    fixture = _first(simulator, Sport.SOCCER)
    with pytest.raises(InvalidStatus) as refused:
        async with connect(_url(simulator, fixture, Feed.ACTIONS)):
            pass
    assert refused.value.response.status_code == 400
    assert b"missing required HTTP header 'Accept'" in refused.value.response.body


async def test_unknown_fixture_is_404(simulator: FeedSimulator) -> None:
    url = f"ws://127.0.0.1:{simulator.port}/soccer/fixtures/00000000-0000-4000-8000-000000000000/actions"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, additional_headers=HEADERS):
            pass
    assert refused.value.response.status_code == 404


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ('{"token": "x"}', "Malformed authorisation message"),
        ("not json", "Malformed authorisation message"),
        ('{"authToken": 5}', "Malformed authorisation message"),
        ('{"authToken": "wrong"}', "The supplied authentication is invalid"),
    ],
)
async def test_bad_auth_gets_error_frame_and_close(
    simulator: FeedSimulator, auth: str, message: str
) -> None:
    fixture = _first(simulator, Sport.SOCCER)
    async with connect(_url(simulator, fixture, Feed.ACTIONS), additional_headers=HEADERS) as ws:
        await ws.send(auth)
        answer = orjson.loads(await ws.recv())
        with pytest.raises(ConnectionClosedError):
            await ws.recv()
    assert answer == {"message": message, "level": "ERROR"}
    assert ws.close_code == 1008


@pytest.mark.parametrize("sport", list(Sport))
@pytest.mark.parametrize("feed", list(Feed))
async def test_fast_stream_is_the_whole_fixture_then_closes(
    simulator: FeedSimulator, sport: Sport, feed: Feed
) -> None:
    fixture = _first(simulator, sport)
    async with connect(
        _url(simulator, fixture, feed, "?speed=fast"), additional_headers=HEADERS
    ) as ws:
        assert await _authorise(ws) == {"message": "Authorisation accepted", "level": "INFO"}
        frames = await _read_all(ws)
    assert frames == [frame.text for frame in fixture.stream(feed).frames]
    assert ws.close_code == 1000


async def test_start_position_skips_frames(simulator: FeedSimulator) -> None:
    fixture = _first(simulator, Sport.BASKETBALL)
    url = _url(simulator, fixture, Feed.ACTIONS, "?speed=fast&startPosition=25")
    async with connect(url, additional_headers=HEADERS) as ws:
        await _authorise(ws)
        frames = await _read_all(ws)
    expected = [frame.text for frame in fixture.stream(Feed.ACTIONS).frames]
    assert frames == expected[25:]
    assert orjson.loads(frames[0])["fixtureAction"]["fixtureSeqNum"] == 26


async def test_media_channel_carries_the_same_frames(simulator: FeedSimulator) -> None:
    fixture = _first(simulator, Sport.VOLLEYBALL)
    url = _url(simulator, fixture, Feed.STATISTICS, "?speed=fast", media=True)
    async with connect(url, additional_headers=HEADERS) as ws:
        await _authorise(ws)
        frames = await _read_all(ws)
    assert frames == [frame.text for frame in fixture.stream(Feed.STATISTICS).frames]


async def test_normal_speed_paces_by_match_time_with_heartbeats() -> None:
    fixture = generated(Sport.TABLE_TENNIS, 3, kickoff_delay_s=0.6)
    frames = fixture.stream(Feed.ACTIONS).frames
    multiplier = frames[-1].at / 1.5  # the whole match in 1.5 s after kick-off
    options = ServerOptions(
        tokens=frozenset({TOKEN}), heartbeat_s=0.15, close_after_s=0.1, multiplier=multiplier
    )
    server = FeedSimulator({fixture.fixture_id: fixture}, options)
    await server.start()
    started = time.monotonic()
    arrivals: list[tuple[float, str]] = []
    try:
        async with connect(_url(server, fixture, Feed.ACTIONS), additional_headers=HEADERS) as ws:
            await _authorise(ws)
            async for message in ws:
                arrivals.append((time.monotonic() - started, str(message)))
    finally:
        await server.stop()
    heartbeats = [t for t, m in arrivals if m.startswith('{"message":"Heartbeat sent at ')]
    data = [(t, m) for t, m in arrivals if '"level"' not in m]
    assert [m for _, m in data] == [f.text for f in frames]
    assert len([t for t in heartbeats if t < 0.6]) >= 2  # before kick-off: only heartbeats
    for (arrived, _), frame in zip(data, frames, strict=True):
        assert arrived >= 0.6 + frame.at / multiplier - 0.05  # never early
    assert data[-1][0] < 0.6 + 1.5 + 1.0  # and not much late


async def test_rest_discovery_needs_bearer_token(simulator: FeedSimulator) -> None:
    base = f"http://127.0.0.1:{simulator.port}"
    async with httpx.AsyncClient(base_url=base) as client:
        refused = await client.get("/soccer/fixtures")
        listed = await client.get(
            "/soccer/fixtures?live=true", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        everything = await client.get(
            "/v2/tabletennis/fixtures", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        fixture = _first(simulator, Sport.TABLE_TENNIS)
        one = await client.get(
            f"/v2/tabletennis/fixtures/{fixture.fixture_id}",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        page = await client.get(
            "/v2/tabletennis/fixtures?size=1&page=5", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert refused.status_code == 401
    soccer_ids = {f.fixture_id for f in simulator.fixtures.values() if f.sport is Sport.SOCCER}
    assert {f["id"] for f in listed.json()} == soccer_ids  # all kicked off at once: all live
    assert all(f["status"] == "Live" for f in listed.json())
    assert [f["id"] for f in everything.json()] == [fixture.fixture_id]
    assert one.json()["teams"] == [
        {"id": fixture.home.id, "name": fixture.home.name},
        {"id": fixture.away.id, "name": fixture.away.name},
    ]
    assert page.json() == []


async def test_refused_connections_then_accepted(simulator: FeedSimulator) -> None:
    fixture = _first(simulator, Sport.SNOOKER)
    fixture.set_faults(FaultPlan(refuse_first=2))
    url = _url(simulator, fixture, Feed.ACTIONS, "?speed=fast")
    for _ in range(2):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, additional_headers=HEADERS):
                pass
        assert refused.value.response.status_code == 503
    async with connect(url, additional_headers=HEADERS) as ws:
        await _authorise(ws)
        assert len(await _read_all(ws)) == len(fixture.stream(Feed.ACTIONS).frames)


async def test_drop_after_n_frames_on_faulty_connections_only(simulator: FeedSimulator) -> None:
    fixture = _first(simulator, Sport.SOCCER)
    fixture.set_faults(FaultPlan(drop_after=7, faulty_connections=1))
    url = _url(simulator, fixture, Feed.ACTIONS, "?speed=fast")
    received: list[str] = []
    async with connect(url, additional_headers=HEADERS) as ws:
        await _authorise(ws)
        with pytest.raises(ConnectionClosedError):
            await _collect_into(ws, received)
    assert len(received) == 7
    async with connect(url + "&startPosition=7", additional_headers=HEADERS) as ws:
        await _authorise(ws)
        received += await _read_all(ws)
    assert received == [frame.text for frame in fixture.stream(Feed.ACTIONS).frames]


def _has_int_sequence(text: str) -> bool:
    try:
        return isinstance(orjson.loads(text)["fixtureAction"]["fixtureSeqNum"], int)
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return False


async def _collect_into(ws: ClientConnection, received: list[str]) -> None:
    async for message in ws:
        received.append(str(message))


async def test_silence_means_no_data_and_no_heartbeat(simulator: FeedSimulator) -> None:
    fixture = _first(simulator, Sport.BASKETBALL)
    fixture.set_faults(FaultPlan(silence_after=3))
    async with connect(
        _url(simulator, fixture, Feed.ACTIONS, "?speed=fast"), additional_headers=HEADERS
    ) as ws:
        await _authorise(ws)
        got = [await ws.recv() for _ in range(3)]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 1.0)  # five heartbeat periods of nothing
    assert len(got) == 3


async def test_stream_faults_are_served_where_the_truth_says(simulator: FeedSimulator) -> None:
    fixture = _first(simulator, Sport.VOLLEYBALL)
    fixture.set_faults(FaultPlan(duplicate_rate=0.05, malformed_rate=0.05))
    truth = fixture.truth()
    async with connect(
        _url(simulator, fixture, Feed.ACTIONS, "?speed=fast"), additional_headers=HEADERS
    ) as ws:
        await _authorise(ws)
        frames = await _read_all(ws)
    duplicates, malformed = truth["duplicates"]["actions"], truth["malformed"]["actions"]  # type: ignore[index]
    assert duplicates
    assert malformed
    for position in duplicates:
        assert frames[position - 1] == frames[position - 2]
    for position in malformed:
        assert not _has_int_sequence(frames[position - 1])
    clean = [f for i, f in enumerate(frames, 1) if i not in duplicates and i not in malformed]
    assert [orjson.loads(f)["fixtureAction"]["fixtureSeqNum"] for f in clean] == list(
        range(1, len(clean) + 1)
    )


async def test_delay_fault_slows_every_frame(simulator: FeedSimulator) -> None:
    fixture = _first(simulator, Sport.SNOOKER)
    fixture.set_faults(FaultPlan(delay_s=0.05))
    url = _url(simulator, fixture, Feed.ACTIONS, "?speed=fast")
    started = time.monotonic()
    async with connect(url, additional_headers=HEADERS) as ws:
        await _authorise(ws)
        got = [await ws.recv() for _ in range(10)]
    assert len(got) == 10
    assert time.monotonic() - started >= 0.5
