"""The whole pipeline: simulator -> producer -> real broker -> Faust worker -> Avro topics."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson

from producers.app import Producer
from producers.metrics import Metrics
from schemas.outputs import DERIVED, FIXTURE_FINISHED, FIXTURE_SCORE, PERIOD_DELTA, Output
from schemas.registration import writers
from schemas.serde import AvroReader, Registry
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import SimFixture, generate_catalogue
from sportsfeed.simulator.faults import FaultPlan
from sportsfeed.stack.processes import free_port
from tests.integration.pipeline import (
    ALIVE,
    PARTITIONS,
    Supervisor,
    environment,
    fresh_topics,
    output_of,
    read_avro,
    read_published,
    read_topic,
    running_simulator,
    settings_from,
    spawn,
    stop,
    wait_for_records,
    wait_until_consumed,
)
from tests.processors.streams import run

FIXTURES = 20


def _faulty_catalogue() -> dict[str, SimFixture]:
    fixtures = generate_catalogue(FIXTURES, seed=61)
    assert {f.sport for f in fixtures.values()} == set(Sport)
    for n, fixture in enumerate(fixtures.values()):
        fixture.set_faults(
            FaultPlan(
                duplicate_rate=0.03,
                malformed_rate=0.01,
                drop_after=30 if n % 4 == 0 else None,
                faulty_connections=2,
            )
        )
    return fixtures


async def _pages(port: int) -> dict[str, httpx.Response]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        paths = ("/health", "/ready", "/metrics", "/table/fixtures/", "/router/")
        return {path: await client.get(path) for path in paths}


def _metric(text: str, name: str) -> float:
    """The sum of a metric's samples in Prometheus text (0 if absent)."""
    values = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((name + "{", name + " "))
    ]
    return sum(values)


def _assert_metrics_count_what_was_sent(
    pages: dict[str, httpx.Response], truth: dict[str, dict[str, Any]], span_s: float
) -> None:
    """`span_s`: from before the first frame was published to the metrics' reading."""
    assert pages["/health"].status_code == 200
    assert pages["/ready"].json() == {"ready": True}
    for page in ("/table/fixtures/", "/router/"):  # no per-fixture state, no routing pages
        assert pages[page].status_code == 404, page
    text = pages["/metrics"].text
    sent = sum(t["frames"][feed.value] for t in truth.values() for feed in Feed)
    malformed = sum(len(t["malformed"][feed.value]) for t in truth.values() for feed in Feed)
    repeated = sum(len(t["duplicates"][feed.value]) for t in truth.values() for feed in Feed)
    assert _metric(text, "sportsfeed_processor_frames_total") == sent
    assert _metric(text, "sportsfeed_processor_dead_letters_total") == malformed
    assert _metric(text, "sportsfeed_processor_repeats_dropped_total") == repeated
    assert _metric(text, "sportsfeed_processor_latency_seconds_count") == sent - malformed
    # Each record's latency lies within the test's span, so their sum does too.
    latency_s = _metric(text, "sportsfeed_processor_latency_seconds_sum")
    assert 0 < latency_s <= (sent - malformed) * span_s, (latency_s, span_s)
    # RocksDB's own accounting, one reading per table partition (all held by this one worker);
    # an empty write buffer counts 2,048 bytes, and the fixtures' states were written.
    memtables = {
        line.split('partition="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("sportsfeed_processor_rocksdb_bytes{") and 'kind="memtables"' in line
    }
    assert set(memtables) == {str(p) for p in range(PARTITIONS)}
    assert sum(memtables.values()) > PARTITIONS * 2048, memtables


def _last_snapshot_totals(fixture: SimFixture) -> dict[tuple[str, int, int, int | None], int]:
    """Per team, period, action and sub-action, read straight from the last statistics frame."""
    frame = orjson.loads(fixture.clean[Feed.STATISTICS][-1].text)
    totals = {}
    for team in frame["teamActionAggregates"]:
        for period in team["periodActionAggregates"]:
            for row in period["aggregates"]:
                key = (team["team"]["id"], period["period"], row["actionId"])
                totals[(*key, None)] = row["actionAggregate"]
                for sub in row["subActionAggregates"]:
                    totals[(*key, sub["subActionId"])] = sub["subActionAggregate"]
    return {key: value for key, value in totals.items() if value}


async def test_every_fixture_ends_as_the_simulator_says(stack: Endpoints, tmp_path: Path) -> None:
    prefix, topics = await fresh_topics(stack)
    fixtures = _faulty_catalogue()
    truth = {fixture_id: fixture.truth() for fixture_id, fixture in fixtures.items()}
    started = time.monotonic()
    async with running_simulator(fixtures) as simulator:
        env = environment(
            stack,
            prefix,
            simulator,
            SPORTSFEED_SPEED="fast",
            SPORTSFEED_DATA_DIR=str(tmp_path),
            SPORTSFEED_STORE="rocksdict",
            SPORTSFEED_METRICS_PORT=str(free_port()),
        )
        worker = await spawn("process", env)
        producer = Producer(settings_from(env | {"SPORTSFEED_METRICS_PORT": "0"}), stack, Metrics())
        await producer.run()
    raw_topics = [topics.raw(feed) for feed in Feed]
    done = await wait_until_consumed(stack, topics.processor_group, raw_topics, 120, worker)
    pages = await _pages(int(env["SPORTSFEED_METRICS_PORT"]))
    span_s = time.monotonic() - started
    output = await stop(worker, 60)
    assert done, output[-4000:]
    assert worker.returncode == 0, output[-4000:]
    _assert_metrics_count_what_was_sent(pages, truth, span_s)

    finished = await read_avro(stack, topics.fixture_finished, FIXTURE_FINISHED)
    assert Counter(key for key, _ in finished) == Counter(list(fixtures))  # exactly one each
    for key, event in finished:
        expected = truth[key]
        assert str(event["fixtureId"]) == key
        assert (event["homeScore"], event["awayScore"]) == (
            expected["homeScore"],
            expected["awayScore"],
        )
        assert [[p["homePoints"], p["awayPoints"]] for p in event["periods"]] == (
            expected["periodScores"]
        )
        assert event["winner"] == str(expected["winner"]).upper()

    last_score: dict[str, dict[str, Any]] = {}
    for key, record in await read_avro(stack, topics.fixture_score, FIXTURE_SCORE):
        last_score[key] = record
    for key, record in last_score.items():
        assert (record["homeScore"], record["awayScore"], record["finished"]) == (
            truth[key]["homeScore"],
            truth[key]["awayScore"],
            True,
        )

    summed: dict[str, Counter[tuple[str, int, int, int | None]]] = {}
    for key, delta in await read_avro(stack, topics.period_delta, PERIOD_DELTA):
        for c in delta["changes"]:
            summed.setdefault(key, Counter())[
                str(c["teamId"]), c["period"], c["actionId"], c["subActionId"]
            ] += c["delta"]
    for key, fixture in fixtures.items():
        got = {k: v for k, v in summed.get(key, Counter()).items() if v}
        assert got == _last_snapshot_totals(fixture), key

    rejected = await read_topic(stack, topics.rejected)
    injected = sum(len(t["malformed"][feed.value]) for t in truth.values() for feed in Feed)  # type: ignore[index]
    assert injected > 0
    assert len(rejected) == injected
    for message in rejected:
        headers = dict(message.headers)
        assert headers["error-class"] == b"BadFrame"
        assert headers["source-topic"].decode() in {topics.raw(feed) for feed in Feed}
        assert headers["error-message"]


def _identity(record: dict[str, Any]) -> tuple[str, str, int]:
    return str(record["fixtureId"]), record["source"]["feed"], record["source"]["sequence"]


def _as_a_consumer_reads(records: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Records in order, dropping any already seen by (fixtureId, source feed, sequence)."""
    seen: dict[tuple[str, str, int], dict[str, Any]] = {}
    kept = []
    for _, record in records:
        identity = _identity(record)
        if identity in seen:
            assert record == seen[identity], "a repeat must be identical"
            continue
        seen[identity] = record
        kept.append(record)
    return kept


async def _expected_by_pure_core(
    stack: Endpoints, topics: Topics, fixtures: dict[str, SimFixture]
) -> dict[str, list[dict[str, Any]]]:
    """What the derivations give for the raw topics' records, encoded as the topics hold them."""
    registry = Registry(stack.registry_url)
    encode = await writers(stack.registry_url, topics, DERIVED)
    decode = {output: AvroReader(output, output.topic(topics), registry) for output in DERIVED}
    raw = await read_published(stack, topics)
    expected: dict[Output[Any], list[dict[str, Any]]] = {output: [] for output in DERIVED}
    for fixture_id, fixture in fixtures.items():
        frames = [(feed, r.position, r.value) for feed in Feed for r in raw[fixture_id, feed]]
        for output, record in run(fixture, frames).outputs:
            expected[output].append(decode[output].decode(encode[output].encode(record)))
    return expected


def _by_stream(records: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(_identity(record)[:2], []).append(record)
    return grouped


def _assert_same_records(got: list[Any], want: list[Any], where: str) -> None:
    for n, (mine, theirs) in enumerate(zip(got, want, strict=False)):
        assert mine == theirs, f"{where}: record {n} differs:\n{mine}\n{theirs}"
    assert len(got) == len(want), f"{where}: {len(got)} records, expected {len(want)}"


async def test_killed_workers_resume_from_changelog_and_disk_without_loss(
    stack: Endpoints, tmp_path: Path
) -> None:
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(30, seed=62)
    async with running_simulator(fixtures) as simulator:
        env = environment(
            stack, prefix, simulator, SPORTSFEED_SPEED="fast", SPORTSFEED_METRICS_PORT="0"
        )
        await Producer(settings_from(env), stack, Metrics()).run()
    expected = await _expected_by_pure_core(stack, topics, fixtures)
    total = len(expected[FIXTURE_SCORE])
    # Killed at a third, then at two thirds on a fresh disk (state from the changelog only),
    # then the first disk again (RocksDB reopened after a crash, behind the changelog).
    for data_dir, share in (("a", 1 / 3), ("b", 2 / 3)):
        worker = await spawn(
            "process",
            env
            | {
                "SPORTSFEED_DATA_DIR": str(tmp_path / data_dir),
                "SPORTSFEED_METRICS_PORT": str(free_port()),
            },
        )
        await wait_for_records(stack, topics.fixture_score, int(total * share), 120, worker)
        assert worker.returncode is None, await stop(worker, 10)
        worker.kill()
        await worker.wait()
        (tmp_path / f"{data_dir}.log").write_text(output_of(worker))  # for a failure's reader
    # The last worker runs as an orchestrator would run it: restarted if it ever exits.
    last_env = env | {"SPORTSFEED_DATA_DIR": str(tmp_path / "a"), "SPORTSFEED_STALL_LIMIT_S": "30"}
    last = Supervisor("process", last_env, tmp_path / "last.log")
    running = asyncio.create_task(last.run())
    raw_topics = [topics.raw(feed) for feed in Feed]
    done = await wait_until_consumed(stack, topics.processor_group, raw_topics, 240, ALIVE)
    await last.stop()
    running.cancel()
    assert done, (tmp_path / "last.log").read_text()[-4000:]
    for output in DERIVED:
        got = _by_stream(_as_a_consumer_reads(await read_avro(stack, output.topic(topics), output)))
        want = _by_stream(expected[output])
        assert got.keys() == want.keys(), output
        for stream, records in want.items():
            _assert_same_records(got[stream], records, f"{output.suffix} {stream}")
    finished = await read_avro(stack, topics.fixture_finished, FIXTURE_FINISHED)
    for key, event in finished:
        assert (event["homeScore"], event["awayScore"]) == (
            fixtures[key].truth()["homeScore"],
            fixtures[key].truth()["awayScore"],
        )


async def test_a_worker_refuses_a_partition_count_mismatch(stack: Endpoints) -> None:
    prefix, _ = await fresh_topics(stack)  # created with 3 partitions
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
        "SCHEMA_REGISTRY_URL": stack.registry_url,
        "SPORTSFEED_TOPIC_PREFIX": prefix,
        "SPORTSFEED_PARTITIONS": "4",
        "SPORTSFEED_METRICS_PORT": str(free_port()),
    }
    for verb in ("process", "topics"):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sportsfeed",
            verb,
            env={**os.environ, **env},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output = (await asyncio.wait_for(process.communicate(), 60))[0].decode()
        assert process.returncode == 1, output[-2000:]
        assert "SPORTSFEED_PARTITIONS is 4" in output
        assert f"{prefix}raw.actions, {prefix}raw.statistics, " in output
        assert " have 3: " in output
