"""A producer restarted after its fixtures ended still publishes their last frames."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from schemas.outputs import FIXTURE_FINISHED
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.vendor import Feed
from sportsfeed.simulator.catalogue import generate_catalogue
from sportsfeed.stack.processes import free_port
from tests.integration.pipeline import (
    assert_raw_is_exactly_the_streams,
    environment,
    fresh_topics,
    output_of,
    read_avro,
    read_published,
    running_simulator,
    spawn,
    stop,
    wait_until_consumed,
)

MATCH_S = 12.0  # every fixture ends this long after the simulator starts
KILLED_BEFORE_END_S = 2.5


async def test_a_restart_after_matches_ended_resumes_them_with_discovery(
    stack: Endpoints, tmp_path: Path
) -> None:
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(4, seed=172)
    lengths = {
        key: max(f.stream(feed).frames[-1].at for feed in Feed) for key, f in fixtures.items()
    }
    multiplier = max(lengths.values()) / MATCH_S
    for key, fixture in fixtures.items():  # kick-offs staggered so that all end together
        fixture.kickoff_delay_s = (max(lengths.values()) - lengths[key]) / multiplier
    total = sum(len(f.stream(feed).frames) for f in fixtures.values() for feed in Feed)
    async with running_simulator(fixtures, multiplier=multiplier) as simulator:
        env = environment(
            stack,
            prefix,
            simulator,
            SPORTSFEED_FIXTURES="",
            SPORTSFEED_DISCOVERY_URL=f"http://127.0.0.1:{simulator.port}",
            SPORTSFEED_DISCOVERY_INTERVAL_S="0.5",
        )
        own = {"SPORTSFEED_DATA_DIR": str(tmp_path), "SPORTSFEED_METRICS_PORT": str(free_port())}
        worker = await spawn("process", env | own)
        producer = await spawn("produce", env)
        await asyncio.sleep(MATCH_S - KILLED_BEFORE_END_S)
        producer.send_signal(signal.SIGKILL)
        await producer.wait()
        await asyncio.sleep(KILLED_BEFORE_END_S + 1.0)
        assert {simulator.status(f) for f in fixtures.values()} == {"Completed"}
        published = sum(len(records) for records in (await read_published(stack, topics)).values())
        assert 0 < published < total, output_of(producer)[-3000:]  # killed before the ends

        # Discovery lists none of them now: Kafka's feed-status says they are unfinished.
        producer = await spawn("produce", env)
        deadline = asyncio.get_running_loop().time() + 60
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(1)
            raw = await read_published(stack, topics)
            if sum(len(records) for records in raw.values()) >= total:
                break
        await stop(producer, 30)
    assert_raw_is_exactly_the_streams(raw, fixtures)

    raw_topics = [topics.raw(feed) for feed in Feed]
    done = await wait_until_consumed(stack, topics.processor_group, raw_topics, 120, worker)
    output = await stop(worker, 60)
    assert done, output[-3000:]
    finished = await read_avro(stack, topics.fixture_finished, FIXTURE_FINISHED)
    got = {key: (record["homeScore"], record["awayScore"]) for key, record in finished}
    truth = {key: f.truth() for key, f in fixtures.items()}
    assert got == {key: (t["homeScore"], t["awayScore"]) for key, t in truth.items()}
