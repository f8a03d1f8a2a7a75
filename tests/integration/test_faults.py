"""The fault suite: the whole pipeline under SIGKILLed producers and workers, a broker stopped for
30 s, and a simulator that drops, goes silent, repeats and sends malformed frames. Afterwards
the raw topics hold exactly the vendor's frames and the derived topics equal a clean derivation.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from pathlib import Path
from random import Random

import pytest

from schemas.outputs import DERIVED, FIXTURE_FINISHED
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import SimFixture, generate_catalogue
from sportsfeed.simulator.faults import FaultPlan
from sportsfeed.stack.kafka import KafkaBroker
from tests.integration.pipeline import (
    ALIVE,
    Supervisor,
    assert_raw_is_exactly_the_streams,
    environment,
    fresh_topics,
    read_avro,
    read_published,
    read_topic,
    running_simulator,
    wait_until_consumed,
)
from tests.integration.test_processor import (
    _as_a_consumer_reads,
    _assert_same_records,
    _by_stream,
    _expected_by_pure_core,
)

MATCH_S = 100.0  # how long the longest match lasts at the chosen pace


@pytest.mark.faults
@pytest.mark.timeout(900)
@pytest.mark.parametrize("discovery", [False, True], ids=["fixture-list", "discovery"])
async def test_the_pipeline_keeps_its_promises_under_faults(
    stack: Endpoints, private_broker: KafkaBroker, tmp_path: Path, discovery: bool
) -> None:
    """With discovery the producer learns fixtures from the vendor's REST listing, which names
    live fixtures only: one that ends while the producer is down is resumed from Kafka's record."""
    own = Endpoints(private_broker.bootstrap_servers, stack.registry_url, private_broker.server_log)
    prefix, topics = await fresh_topics(own)
    fixtures = generate_catalogue(20, seed=101)
    assert {f.sport for f in fixtures.values()} == set(Sport)
    rng = Random(101)
    for n, fixture in enumerate(fixtures.values()):
        connection_fault = [
            FaultPlan(drop_rate=0.02),
            FaultPlan(silence_after=30),
            FaultPlan(drop_after=50),
            FaultPlan(),
        ][n % 4]
        fixture.set_faults(
            FaultPlan(
                duplicate_rate=0.03,
                malformed_rate=0.01,
                drop_rate=connection_fault.drop_rate,
                drop_after=connection_fault.drop_after,
                silence_after=connection_fault.silence_after,
                faulty_connections=3,
            )
        )
    longest = max(f.stream(feed).frames[-1].at for f in fixtures.values() for feed in Feed)
    async with running_simulator(fixtures, multiplier=longest / MATCH_S) as simulator:
        env = environment(
            own,
            prefix,
            simulator,
            SPORTSFEED_DATA_DIR=str(tmp_path / "data"),
            SPORTSFEED_METRICS_PORT="0",
        )
        if discovery:
            env |= {
                "SPORTSFEED_FIXTURES": "",
                "SPORTSFEED_DISCOVERY_INTERVAL_S": "1",
                "SPORTSFEED_DISCOVERY_URL": f"http://127.0.0.1:{simulator.port}",
            }
        producer = Supervisor("produce", env, tmp_path / "producer.log")
        worker = Supervisor("process", env, tmp_path / "worker.log")
        running = [asyncio.create_task(s.run()) for s in (producer, worker)]
        try:
            await _inflict(rng, producer, worker, private_broker)
            if discovery:  # a producer following discovery never ends by itself
                await asyncio.wait_for(_every_frame_published(own, topics, fixtures), 300)
                await producer.stop()
            else:
                await asyncio.wait_for(producer.done.wait(), 300)  # every stream finished
            raw_topics = [topics.raw(feed) for feed in Feed]
            consumed = await wait_until_consumed(
                own, topics.processor_group, raw_topics, 240, ALIVE
            )
        finally:
            await worker.stop()
            for task in running:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    assert consumed, (tmp_path / "worker.log").read_text()[-3000:]
    assert producer.restarts >= 3
    assert worker.restarts >= 1

    assert_raw_is_exactly_the_streams(await read_published(own, topics), fixtures)
    expected = await _expected_by_pure_core(own, topics, fixtures)
    for output in DERIVED:
        got = _by_stream(_as_a_consumer_reads(await read_avro(own, output.topic(topics), output)))
        want = _by_stream(expected[output])
        assert got.keys() == want.keys(), output
        for stream, records in want.items():
            _assert_same_records(got[stream], records, f"{output.suffix} {stream}")
    finished = _as_a_consumer_reads(await read_avro(own, topics.fixture_finished, FIXTURE_FINISHED))
    assert sorted(str(f["fixtureId"]) for f in finished) == sorted(fixtures)  # one each

    await _assert_dead_letters(own, topics, fixtures)


async def _assert_dead_letters(
    own: Endpoints, topics: Topics, fixtures: dict[str, SimFixture]
) -> None:
    """Every malformed frame dead-lettered, each of its raw records under its own reference.

    The worker reads the raw topics as written, a killed producer's aborted transaction
    included (its frames are published again after the restart): a malformed frame in it is
    dead-lettered once more, under that record's reference."""
    malformed = {
        (fixture_id, feed.value, position)
        for fixture_id, fixture in fixtures.items()
        for feed in Feed
        for position in fixture.stream(feed).malformed
    }
    dead: set[tuple[str, str, int]] = set()
    references: Counter[tuple[bytes, bytes, bytes]] = Counter()
    for record in await read_topic(own, topics.rejected):
        headers = dict(record.headers)
        dead.add((record.key.decode(), headers["feed"].decode(), int(headers["position"])))
        references[
            headers["source-topic"], headers["source-partition"], headers["source-offset"]
        ] += 1
    assert dead == malformed
    # At least once: a dead letter written again after a worker's crash has the same reference
    # (source-topic/partition/offset); one raw record is one reference.
    records = set()
    for feed in Feed:
        topic = topics.raw(feed)
        for record in await read_topic(own, topic, isolation="read_uncommitted"):
            if (
                record.key.decode(),
                feed.value,
                int(dict(record.headers)["position"]),
            ) in malformed:
                records.add(
                    (topic.encode(), str(record.partition).encode(), str(record.offset).encode())
                )
    assert set(references) == records
    assert sum(references.values()) >= len(malformed)


async def _every_frame_published(
    own: Endpoints, topics: Topics, fixtures: dict[str, SimFixture]
) -> None:
    """Until the raw topics hold exactly the vendor's frames (a test of its own comes after)."""
    while True:
        try:
            assert_raw_is_exactly_the_streams(await read_published(own, topics), fixtures)
        except AssertionError:
            await asyncio.sleep(5)
        else:
            return


async def _inflict(
    rng: Random, producer: Supervisor, worker: Supervisor, broker: KafkaBroker
) -> None:
    """Producer killed three times, the worker once, the broker down for 30 s, at random."""
    await asyncio.sleep(rng.uniform(6, 10))
    await producer.kill()
    await asyncio.sleep(rng.uniform(3, 6))
    await worker.kill()
    await asyncio.sleep(rng.uniform(3, 6))
    await asyncio.to_thread(broker.stop)
    await asyncio.sleep(30)
    await asyncio.to_thread(broker.start)
    await asyncio.sleep(rng.uniform(3, 6))
    await producer.kill()
    await asyncio.sleep(rng.uniform(3, 6))
    await producer.kill()
