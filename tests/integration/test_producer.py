"""The producer moves every frame of every fixture to the raw topics once, in order."""

from __future__ import annotations

import asyncio
import logging
import signal

import httpx
import pytest
from prometheus_client import generate_latest

from producers.app import Producer
from producers.metrics import Metrics
from producers.protocol import StreamId
from producers.status import State
from producers.stream import AuthRejected
from sportsfeed.cli import main
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import generate_catalogue
from sportsfeed.simulator.faults import FaultPlan
from sportsfeed.stack.kafka import KafkaBroker
from sportsfeed.stack.processes import free_port
from tests.integration.pipeline import (
    TOKEN,
    assert_raw_is_exactly_the_streams,
    environment,
    finish,
    fresh_topics,
    output_of,
    read_published,
    read_status,
    running_simulator,
    settings_from,
    spawn,
    stop,
)


async def _produce_until_done(
    stack: Endpoints, env: dict[str, str], timeout_s: float = 120, metrics: Metrics | None = None
) -> None:
    producer = Producer(settings_from(env), stack, metrics or Metrics())
    await asyncio.wait_for(producer.run(), timeout_s)


async def test_every_frame_lands_once_in_order_with_headers(stack: Endpoints) -> None:
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(5, seed=31)
    metrics = Metrics()
    async with running_simulator(fixtures) as simulator:
        await _produce_until_done(
            stack, environment(stack, prefix, simulator, SPORTSFEED_SPEED="fast"), metrics=metrics
        )
    # every stream (5 fixtures x 2 feeds) ended FINISHED, none is left in any other state
    in_state = {
        state: metrics.registry.get_sample_value(
            "sportsfeed_producer_streams_in_state", {"state": state.value}
        )
        or 0
        for state in State
    }
    assert in_state == {state: 10 if state is State.FINISHED else 0 for state in State}
    raw = await read_published(stack, topics)
    assert_raw_is_exactly_the_streams(raw, fixtures)
    for (fixture_id, feed), records in raw.items():
        sport = fixtures[fixture_id].sport
        headers = records[0].headers
        assert headers["sport"] == sport.value.encode()
        assert headers["feed"] == feed.value.encode()
        assert headers["channel"] == b"betting"
        assert headers["source"].decode().endswith(f"/fixtures/{fixture_id}/{feed.value}")
        assert b"?" not in headers["source"]
        assert int(headers["received-at"]) > 1_700_000_000_000_000  # epoch microseconds
    for records in raw.values():  # the vendor token travels in no record
        assert all(
            TOKEN not in r.value and TOKEN.encode() not in b"".join(r.headers.values())
            for r in records
        )
    final = {}
    for record in await read_status(stack, topics):
        for state in record["feeds"]:
            final[str(record["fixtureId"]), state["feed"]] = state
    for fixture in fixtures.values():
        for feed in Feed:
            state = final[fixture.fixture_id, feed.name]
            assert state["state"] == "FINISHED"
            assert state["position"] == len(fixture.stream(feed).frames)


async def test_drops_silence_repeats_and_malformed_frames(stack: Endpoints) -> None:
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(5, seed=32)
    plans = [
        FaultPlan(drop_rate=0.03),
        FaultPlan(drop_after=40, faulty_connections=3),
        FaultPlan(silence_after=25, faulty_connections=1),
        FaultPlan(duplicate_rate=0.05, malformed_rate=0.05),
        FaultPlan(refuse_first=2, drop_after=60, faulty_connections=4),
    ]
    for fixture, plan in zip(fixtures.values(), plans, strict=True):
        fixture.set_faults(plan)
    async with running_simulator(fixtures) as simulator:
        env = environment(
            stack, prefix, simulator, SPORTSFEED_SPEED="fast", SPORTSFEED_LIVENESS_S="1"
        )
        await _produce_until_done(stack, env)
        assert (
            sum(simulator.connections.values()) > 2 * len(fixtures) + 5
        )  # faults forced reconnects
    assert_raw_is_exactly_the_streams(await read_published(stack, topics), fixtures)
    states = {s["state"] for r in await read_status(stack, topics) for s in r["feeds"]}
    assert {"STALE", "DOWN", "FINISHED"} <= states


async def test_kill_9_mid_match_and_restart(stack: Endpoints) -> None:
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(5, seed=33)
    longest = max(f.stream(feed).frames[-1].at for f in fixtures.values() for feed in Feed)
    async with running_simulator(fixtures, multiplier=longest / 8) as simulator:  # ~8 s matches
        env = environment(stack, prefix, simulator)
        for _ in range(2):
            producer = await spawn("produce", env)
            await asyncio.sleep(3)
            producer.send_signal(signal.SIGKILL)
            await producer.wait()
        partial = sum(len(records) for records in (await read_published(stack, topics)).values())
        total = sum(len(f.stream(feed).frames) for f in fixtures.values() for feed in Feed)
        assert 0 < partial < total  # killed mid-match
        await finish(await spawn("produce", env), 120)
    assert_raw_is_exactly_the_streams(await read_published(stack, topics), fixtures)


async def test_two_producers_for_one_shard_write_every_frame_once(stack: Endpoints) -> None:
    """A second producer for a shard (a reshard, a node cut off yet running) fences the first:
    Kafka refuses the first one's writes, it ends, and the raw topics read committed hold every
    frame once, in order, as the simulator sent them."""
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(4, seed=35)
    longest = max(f.stream(feed).frames[-1].at for f in fixtures.values() for feed in Feed)
    async with running_simulator(fixtures, multiplier=longest / 10) as simulator:  # ~10 s
        env = environment(stack, prefix, simulator, SPORTSFEED_SHARD="0/1")
        first = await spawn("produce", env)
        await asyncio.sleep(4)
        second = await spawn("produce", env)
        await finish(second, 120)
        try:
            await asyncio.wait_for(first.wait(), 30)
        finally:
            if first.returncode is None:
                first.kill()
                await first.wait()
    assert_raw_is_exactly_the_streams(await read_published(stack, topics), fixtures)
    assert first.returncode != 0, output_of(first)[-3000:]
    assert "fenced" in output_of(first)


async def test_ready_only_once_every_stream_is_live(stack: Endpoints) -> None:
    """The producer's readiness probe: 503 while its streams are refused by the vendor, 200 once
    they are LIVE; its liveness page answers throughout (served by the producer's loop)."""
    prefix, _ = await fresh_topics(stack)
    fixtures = generate_catalogue(2, seed=36)
    for fixture in fixtures.values():
        fixture.set_faults(FaultPlan(refuse_first=3))  # a few seconds of refused connections
    port = free_port()
    longest = max(f.stream(feed).frames[-1].at for f in fixtures.values() for feed in Feed)
    async with running_simulator(fixtures, multiplier=longest / 40) as simulator:  # ~40 s
        env = environment(stack, prefix, simulator, SPORTSFEED_METRICS_PORT=str(port))
        producer = await spawn("produce", env)
        seen: list[tuple[int, int, str]] = []
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as client:
            for _ in range(600):
                try:
                    health = (await client.get("/health")).status_code
                    ready = await client.get("/ready")
                except httpx.TransportError:
                    await asyncio.sleep(0.05)  # not listening yet
                    continue
                seen.append((health, ready.status_code, ready.text))
                if ready.status_code == 200:
                    break
                await asyncio.sleep(0.05)
            metrics = (await client.get("/metrics")).text
        await stop(producer, 60)
    assert {health for health, _, _ in seen} == {200}
    assert seen[0][1] == 503, seen[0]
    assert seen[-1][1] == 200, (seen[-1], output_of(producer)[-3000:])
    assert '"LIVE":4' in seen[-1][2]
    assert "sportsfeed_producer_frames_total" in metrics


async def test_sigterm_drains_and_flushes(stack: Endpoints) -> None:
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(3, seed=34)
    async with running_simulator(fixtures, multiplier=400) as simulator:
        producer = await spawn("produce", environment(stack, prefix, simulator))
        await asyncio.sleep(4)
        producer.send_signal(signal.SIGTERM)
        await finish(producer, 60)
    raw = await read_published(stack, topics)
    checkpoint = {}
    for record in await read_status(stack, topics):
        for state in record["feeds"]:
            checkpoint[str(record["fixtureId"]), state["feed"]] = state["position"]
    assert sum(len(r) for r in raw.values()) > 0
    for (fixture_id, feed), records in raw.items():
        frames = fixtures[fixture_id].stream(feed).frames
        assert [r.value for r in records] == [f.text for f in frames[: len(records)]]
        assert checkpoint[fixture_id, feed.name] == len(records)  # last checkpoint written


async def test_auth_failure_is_reported_without_the_token(
    stack: Endpoints, caplog: pytest.LogCaptureFixture
) -> None:
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(1, seed=35, sports=[Sport.SOCCER])
    secret = "s3cr3t-vendor-token-that-must-not-leak"
    caplog.set_level(logging.DEBUG)
    metrics = Metrics()
    async with running_simulator(fixtures) as simulator:
        env = environment(
            stack,
            prefix,
            simulator,
            SPORTSFEED_VENDOR_TOKEN=secret,
            SPORTSFEED_EXIT_ON_AUTH_FAILURE="true",
        )
        with pytest.raises(AuthRejected, match=r"127\.0\.0\.1:\d+/soccer/fixtures/.*refused"):
            await _produce_until_done(stack, env, metrics=metrics)
    assert secret not in generate_latest(metrics.registry).decode()
    assert b'sportsfeed_producer_streams_in_state{state="FAILED"} 1.0' in generate_latest(
        metrics.registry
    )
    statuses = await read_status(stack, topics)
    failed = [s for r in statuses for s in r["feeds"] if s["state"] == "FAILED"]
    assert failed
    assert "refused the vendor token" in failed[0]["reason"]
    assert secret not in caplog.text
    assert all(secret not in str(record) for record in statuses)
    assert TOKEN not in caplog.text


async def test_broker_restart_loses_nothing(stack: Endpoints, private_broker: KafkaBroker) -> None:
    own = Endpoints(private_broker.bootstrap_servers, stack.registry_url, private_broker.server_log)
    prefix, topics = await fresh_topics(own)
    fixtures = generate_catalogue(5, seed=36)
    longest = max(f.stream(feed).frames[-1].at for f in fixtures.values() for feed in Feed)
    async with running_simulator(fixtures, multiplier=longest / 20) as simulator:  # ~20 s matches
        run = asyncio.create_task(_produce_until_done(own, environment(own, prefix, simulator)))
        await asyncio.sleep(5)
        await asyncio.to_thread(private_broker.stop)
        await asyncio.sleep(8)
        await asyncio.to_thread(private_broker.start)
        await asyncio.wait_for(run, 120)
    assert_raw_is_exactly_the_streams(await read_published(own, topics), fixtures)


def test_malformed_fixture_setting_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SPORTSFEED_FIXTURES", "soccer:not-a-uuid")
    assert main(["produce"]) == 2  # a bad setting, refused at load
    assert (
        "SPORTSFEED_FIXTURES: 'soccer:not-a-uuid' is not sport:fixtureId" in capsys.readouterr().err
    )


async def test_discovery_finds_live_fixtures(
    stack: Endpoints, caplog: pytest.LogCaptureFixture
) -> None:
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(4, seed=37)
    streams = [
        str(StreamId(fx.fixture_id, fx.sport, feed)) for fx in fixtures.values() for feed in Feed
    ]
    caplog.set_level(logging.INFO, logger="producers.app")
    async with running_simulator(fixtures) as simulator:
        # speed=fast: every stream finishes while the listing still says Live (normal speed), so
        # discovery keeps finding the finished streams, which are forgotten 1 s after finishing
        env = environment(
            stack,
            prefix,
            simulator,
            SPORTSFEED_FIXTURES="",
            SPORTSFEED_SPEED="fast",
            SPORTSFEED_DISCOVERY_URL=f"http://127.0.0.1:{simulator.port}",
            SPORTSFEED_DISCOVERY_INTERVAL_S="0.5",
            SPORTSFEED_FINISHED_STATE_TTL_S="1",
        )
        metrics = Metrics()
        producer = Producer(settings_from(env), stack, metrics)
        running = asyncio.create_task(producer.run())
        expected = sum(len(f.stream(feed).frames) for f in fixtures.values() for feed in Feed)

        def rediscovered_after_forgotten(stream: str) -> bool:
            forgotten = caplog.text.find(f"stream forgotten stream={stream}")
            return forgotten >= 0 and f"already finished stream={stream}" in caplog.text[forgotten:]

        for _ in range(120):  # bounded: 60 s
            await asyncio.sleep(0.5)
            published = sum(
                metrics.frames.labels(f.sport.slug, feed.value)._value.get()
                for f in fixtures.values()
                for feed in Feed
            )
            if published >= expected and all(map(rediscovered_after_forgotten, streams)):
                break
        producer.stop()
        await asyncio.wait_for(running, 30)
        connections = dict(simulator.connections)
    assert all(map(rediscovered_after_forgotten, streams)), caplog.text[-3000:]
    # forgotten, listed again, found finished in Kafka: never reopened, nothing published twice
    assert connections == {(f.fixture_id, feed): 1 for f in fixtures.values() for feed in Feed}
    assert_raw_is_exactly_the_streams(await read_published(stack, topics), fixtures)
