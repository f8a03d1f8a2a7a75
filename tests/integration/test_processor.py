"""The whole pipeline: simulator -> producer -> real broker -> Faust worker -> Avro topics."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from infra.processes import free_port
from infra.stack import Endpoints
from producers.app import Producer
from producers.metrics import Metrics
from simulator.catalogue import SimFixture, generate_catalogue
from simulator.faults import FaultPlan
from simulator.model import Feed, Sport
from tests.integration.pipeline import (
    environment,
    fresh_topics,
    read_avro,
    read_topic,
    running_simulator,
    settings_from,
    spawn_processor,
    stop,
    wait_for_records,
)

FIXTURES = 20


def _faulty_catalogue() -> dict[str, SimFixture]:
    fixtures = generate_catalogue(FIXTURES, seed=61)
    assert {f.sport for f in fixtures.values()} == set(Sport)
    for n, fixture in enumerate(fixtures.values()):
        fixture.set_faults(FaultPlan(duplicate_rate=0.03, malformed_rate=0.01,
                                     drop_after=30 if n % 4 == 0 else None,
                                     faulty_connections=2))  # fmt: skip
    return fixtures


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
    async with running_simulator(fixtures) as simulator:
        env = environment(stack, prefix, simulator, SPORTSFEED_SPEED="fast",
                          SPORTSFEED_DATA_DIR=str(tmp_path), SPORTSFEED_STORE="rocksdict",
                          SPORTSFEED_METRICS_PORT=str(free_port()))  # fmt: skip
        worker = await spawn_processor(env)
        producer = Producer(settings_from(env | {"SPORTSFEED_METRICS_PORT": "0"}), stack, Metrics())
        await producer.run()
    finished_count = await wait_for_records(stack, topics.fixture_finished, FIXTURES, 120, worker)
    output = await stop(worker, 60)
    assert finished_count == FIXTURES, output[-4000:]
    assert worker.returncode == 0, output[-4000:]

    finished = await read_avro(stack, topics.fixture_finished, "fixture_finished")
    assert Counter(key for key, _ in finished) == Counter(list(fixtures))  # exactly one each
    for key, event in finished:
        expected = truth[key]
        assert str(event["fixtureId"]) == key
        assert (event["homeScore"], event["awayScore"]) == (
            expected["homeScore"], expected["awayScore"],
        )  # fmt: skip
        assert [[p["homePoints"], p["awayPoints"]] for p in event["periods"]] == (
            expected["periodScores"]
        )
        assert event["winner"] == str(expected["winner"]).upper()

    last_score: dict[str, dict[str, Any]] = {}
    for key, record in await read_avro(stack, topics.fixture_score, "fixture_score"):
        last_score[key] = record
    for key, record in last_score.items():
        assert (record["homeScore"], record["awayScore"], record["finished"]) == (
            truth[key]["homeScore"], truth[key]["awayScore"], True,
        )  # fmt: skip

    summed: dict[str, Counter[tuple[str, int, int, int | None]]] = {}
    for key, delta in await read_avro(stack, topics.period_delta, "period_delta"):
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
