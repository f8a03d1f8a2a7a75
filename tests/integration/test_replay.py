"""`sportsfeed replay`: a replay of a live run's raw topics gives the live run's records."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path
from typing import Any

from producers.app import Producer
from producers.metrics import Metrics
from schemas.outputs import DERIVED
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed
from sportsfeed.simulator.catalogue import generate_catalogue
from sportsfeed.simulator.faults import FaultPlan
from sportsfeed.stack.processes import free_port
from tests.integration.pipeline import (
    environment,
    fresh_topics,
    read_avro,
    running_simulator,
    settings_from,
    spawn,
    stop,
    wait_until_consumed,
)

Record = dict[str, Any]


def _per_fixture_and_feed(records: list[tuple[str, Record]]) -> dict[tuple[str, str], list[Record]]:
    grouped: dict[tuple[str, str], list[Record]] = {}
    for key, record in records:
        grouped.setdefault((key, record["source"]["feed"]), []).append(record)
    return grouped


async def _replay(env: dict[str, str], *argv: str) -> str:
    """`sportsfeed replay ARGV` run to its end, as a user starts it; its output. Killed (its
    workers die with it) should it not end in 300 s, so that no replay outlives the test."""
    replay = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sportsfeed",
        "replay",
        *argv,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        shown = (await asyncio.wait_for(replay.communicate(), 300))[0].decode()
    except TimeoutError:
        replay.kill()
        await replay.wait()
        raise AssertionError(f"`sportsfeed replay {' '.join(argv)}` did not end in 300 s") from None
    assert replay.returncode == 0, shown[-3000:]
    return shown


async def test_a_replay_gives_the_live_runs_records(stack: Endpoints, tmp_path: Path) -> None:
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(10, seed=71)
    for fixture in fixtures.values():
        fixture.set_faults(FaultPlan(duplicate_rate=0.02, malformed_rate=0.01))
    async with running_simulator(fixtures) as simulator:
        env = environment(
            stack,
            prefix,
            simulator,
            SPORTSFEED_SPEED="fast",
            SPORTSFEED_DATA_DIR=str(tmp_path),
            SPORTSFEED_METRICS_PORT=str(free_port()),
        )
        worker = await spawn("process", env)  # live: processing while the frames arrive
        await Producer(
            settings_from(env | {"SPORTSFEED_METRICS_PORT": "0"}), stack, Metrics()
        ).run()
    raw_topics = [topics.raw(feed) for feed in Feed]
    done = await wait_until_consumed(stack, topics.processor_group, raw_topics, 120, worker)
    output = await stop(worker, 60)
    assert done, output[-3000:]

    target = prefix.rstrip(".") + "-replay."
    shown = await _replay(env, "--to-prefix", target, "--workers", "2")
    frames = sum(len(f.stream(feed).frames) for f in fixtures.values() for feed in Feed)
    replayed = int(re.search(r"replayed ([\d,]+) offsets", shown)[1].replace(",", ""))  # type: ignore[index]
    # every frame, plus a marker per transaction and partition (a commit every 500 ms)
    assert frames < replayed < frames * 1.1
    assert "with 2 worker processes" in shown  # sharing the partitions, the same records below

    chosen = sorted(fixtures)[:2]
    subset = prefix.rstrip(".") + "-two."
    await _replay(env, "--to-prefix", subset, *(f"--fixture={f}" for f in chosen))

    for output in DERIVED:
        live = _per_fixture_and_feed(await read_avro(stack, output.topic(topics), output))
        again = await read_avro(stack, output.topic(Topics(target)), output)
        assert live, output
        assert _per_fixture_and_feed(again) == live, output
        two = _per_fixture_and_feed(await read_avro(stack, output.topic(Topics(subset)), output))
        assert two == {stream: records for stream, records in live.items() if stream[0] in chosen}
