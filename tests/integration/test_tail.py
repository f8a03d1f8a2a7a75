"""`sportsfeed tail` decodes every kind of sportsfeed topic to JSON lines."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from schemas.outputs import FEED_STATUS
from schemas.registration import writer
from sportsfeed.cli import main
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import generated
from tests.integration.pipeline import fresh_topics

FIXTURE_A = "1bd00469-86fa-4f0b-abcc-30cbef80dacc"
FIXTURE_B = "0222e701-d937-4250-8041-0f8ed8cf4a23"


async def _send(stack: Endpoints, topic: str, records: list[tuple[str, bytes, list[Any]]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(topic, value, key=key.encode(), headers=headers)
    finally:
        await producer.stop()


def _tail(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stack: Endpoints,
    prefix: str,
    *argv: str,
) -> list[dict[str, Any]]:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", stack.bootstrap_servers)
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", stack.registry_url)
    monkeypatch.setenv("SPORTSFEED_TOPIC_PREFIX", prefix)
    capsys.readouterr()
    assert main(["tail", *argv]) == 0
    return [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_tail_every_topic_kind(
    stack: Endpoints, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix, topics = asyncio.run(fresh_topics(stack))
    frames = [f.text for f in generated(Sport.SOCCER, 5).stream(Feed.ACTIONS).frames[:3]]
    raw = [
        (FIXTURE_A, text.encode(), [("position", str(i).encode())])
        for i, text in enumerate(frames, 1)
    ]
    codec = asyncio.run(writer(stack.registry_url, topics, FEED_STATUS))
    status = {
        "fixtureId": FIXTURE_B,
        "sport": "SOCCER",
        "channel": "BETTING",
        "changed": "ACTIONS",
        "feeds": [],
        "emittedAt": 1_700_000_000_000_000,
    }
    dead = [
        (FIXTURE_A, b"\xff\xfe not json", [("error", b"JSONDecodeError")]),
        (FIXTURE_B, b'{"truncated": ', [("error", b"JSONDecodeError")]),
    ]
    asyncio.run(_send(stack, topics.raw(Feed.ACTIONS), raw))
    asyncio.run(_send(stack, topics.feed_status, [(FIXTURE_B, codec.encode(status), [])]))
    asyncio.run(_send(stack, topics.rejected, dead))

    lines = _tail(monkeypatch, capsys, stack, prefix, "raw.actions")
    assert [line["value"] for line in lines] == [orjson.loads(text) for text in frames]
    assert [line["headers"]["position"] for line in lines] == ["1", "2", "3"]

    (line,) = _tail(monkeypatch, capsys, stack, prefix, topics.feed_status)
    assert line["value"]["fixtureId"] == FIXTURE_B
    assert line["value"]["emittedAt"].startswith("2023-11-14T22:13:20")

    lines = _tail(monkeypatch, capsys, stack, prefix, "rejected")
    assert sorted(str(line["value"]) for line in lines) == sorted(
        ["{'base64': '//4gbm90IGpzb24='}", "{'text': '{\"truncated\": '}"]
    )
    assert {line["headers"]["error"] for line in lines} == {"JSONDecodeError"}

    only_b = _tail(monkeypatch, capsys, stack, prefix, "rejected", "--fixture", FIXTURE_B)
    assert [line["key"] for line in only_b] == [FIXTURE_B]
    from_offset = _tail(
        monkeypatch, capsys, stack, prefix, "raw.actions", "--from", "1", "--limit", "1"
    )
    assert [line["offset"] for line in from_offset] == [1]
