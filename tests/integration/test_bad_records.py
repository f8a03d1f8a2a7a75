"""Records a reader could not take, a dead letter too large to send, a frame's stand-in and raw
records without the `feeds` header, through a real worker: every bad one is dead-lettered
naming its fault, the good ones are derived, and every derived record decodes with an
independent reader."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from producers.protocol import StreamId, raw_headers, stand_in
from schemas.outputs import DERIVED
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.limits import DEAD_LETTER_LIMIT
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Channel, Feed, Sport
from sportsfeed.simulator.catalogue import generated
from sportsfeed.stack.processes import free_port
from tests.integration.pipeline import (
    PARTITIONS,
    fresh_topics,
    output_of,
    read_topic,
    spawn,
    stop,
    wait_until_consumed,
)
from tests.integration.test_serde import independent_decode

Headers = list[tuple[str, bytes]]
Edit = Callable[[dict[str, Any]], None]
SOCCER = generated(Sport.SOCCER, 1)
TABLE_TENNIS = generated(Sport.TABLE_TENNIS, 7)  # fed statistics only, without `feeds`


def _headers(fixture_id: str, sport: Sport, feed: Feed, position: int) -> Headers:
    stream = StreamId(fixture_id, sport, feed)
    return raw_headers(stream, Channel.BETTING, position, time.time_ns() // 1000, "ws://elsewhere")


def _poisoned(edit: Edit) -> tuple[str, bytes]:
    """A real actions frame of a fixture of its own, with one value no reader could take."""
    frame = orjson.loads(
        next(f.text for f in SOCCER.stream(Feed.ACTIONS).frames if '"team":{' in f.text)
    )
    frame["fixtureAction"]["fixtureId"] = str(uuid.uuid4())
    edit(frame)
    return frame["fixtureAction"]["fixtureId"], orjson.dumps(frame)


def _set(*path: str, value: object) -> Edit:
    def edit(frame: dict[str, Any]) -> None:
        target = frame
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return edit


POISONS = {  # the field each one names
    "fixtureId": _set("fixtureAction", "fixtureId", value="not-a-uuid"),
    "homeScore": _set("fixtureSummary", "homeTeamScore", value=2**33),
    "homeTeam.id": _set("fixtureAction", "team", "id", value="team-7"),
    "fixtureSeqNum": _set("fixtureAction", "fixtureSeqNum", value=2**64 - 1),
}
OVERSIZED_DEAD_LETTER = 1_011_314  # bytes: a malformed frame over the worker's request limit


async def _publish(stack: Endpoints, topics: Topics) -> dict[str, str]:
    """Every bad record and the good ones; the fault each key's dead letter must name."""
    producer = AIOKafkaProducer(**stack.kafka(), acks="all", max_request_size=2 << 20)
    await producer.start()
    expected: dict[str, str] = {}
    try:
        actions = topics.raw(Feed.ACTIONS)
        for field, edit in POISONS.items():
            key, value = _poisoned(edit)
            await producer.send(
                actions,
                value,
                key=key.encode(),
                headers=_headers(key, Sport.SOCCER, Feed.ACTIONS, 1),
            )
            expected[key] = field
        big = str(uuid.uuid4())
        await producer.send(
            actions,
            b"{" + b"x" * (OVERSIZED_DEAD_LETTER - 1),
            key=big.encode(),
            headers=_headers(big, Sport.SOCCER, Feed.ACTIONS, 1),
        )
        expected[big] = "not JSON"
        skipped = str(uuid.uuid4())
        value, headers = stand_in(_headers(skipped, Sport.SOCCER, Feed.ACTIONS, 9), 2_000_000)
        await producer.send(actions, value, key=skipped.encode(), headers=headers)
        expected[skipped] = "a frame of 2000000 bytes at position 9 was over"
        tt = TABLE_TENNIS.fixture_id
        for position, frame in enumerate(TABLE_TENNIS.stream(Feed.STATISTICS).frames, 1):
            headers = [
                h
                for h in _headers(tt, Sport.TABLE_TENNIS, Feed.STATISTICS, position)
                if h[0] != "feeds"
            ]
            await producer.send(
                topics.raw(Feed.STATISTICS), frame.text.encode(), key=tt.encode(), headers=headers
            )
        await producer.flush()
    finally:
        await producer.stop()
    return expected


async def test_bad_records_are_dead_lettered_by_field_and_every_output_decodes(
    stack: Endpoints, tmp_path: Path
) -> None:
    prefix, topics = await fresh_topics(stack)
    expected = await _publish(stack, topics)
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
        "SCHEMA_REGISTRY_URL": stack.registry_url,
        "SPORTSFEED_TOPIC_PREFIX": prefix,
        "SPORTSFEED_PARTITIONS": str(PARTITIONS),
        "SPORTSFEED_DATA_DIR": str(tmp_path),
        "SPORTSFEED_METRICS_PORT": str(free_port()),
    }
    worker = await spawn("process", env)
    raw_topics = [topics.raw(feed) for feed in Feed]
    done = await wait_until_consumed(stack, topics.processor_group, raw_topics, 120, worker)
    output = await stop(worker, 60)
    assert done, output[-4000:]
    assert worker.returncode == 0, output[-4000:]
    assert "Crashed" not in output_of(worker)

    letters = {m.key.decode(): m for m in await read_topic(stack, topics.rejected)}
    assert letters.keys() == expected.keys()  # every one there, committed offsets or not
    for key, fault in expected.items():
        headers = dict(letters[key].headers)
        assert fault in headers["error-message"].decode(), (key, headers["error-message"])
        assert headers["source-topic"] == topics.raw(Feed.ACTIONS).encode()
    cut = next(m for m in letters.values() if "truncated-from" in dict(m.headers))
    assert dict(cut.headers)["truncated-from"] == str(OVERSIZED_DEAD_LETTER).encode()
    assert len(cut.value) == DEAD_LETTER_LIMIT

    for output in DERIVED:  # nothing a reader chokes on: all decode, independently
        decoded = [
            independent_decode(stack.registry_url, m.value)
            for m in await read_topic(stack, output.topic(topics))
        ]
        assert all(str(record["fixtureId"]) == TABLE_TENNIS.fixture_id for record in decoded)
    finished = [
        independent_decode(stack.registry_url, m.value)
        for m in await read_topic(stack, topics.fixture_finished)
    ]
    truth = TABLE_TENNIS.truth()
    assert [(f["homeScore"], f["awayScore"]) for f in finished] == [
        (truth["homeScore"], truth["awayScore"])
    ]
