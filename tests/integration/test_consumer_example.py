"""The README's downstream consumer example runs in its own process and decides correctly."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from infra.stack import Endpoints
from schemas.serde import AvroCodec, Registry
from tests.integration.pipeline import fresh_topics

EXAMPLE = Path(__file__).parents[2] / "examples" / "pricing_consumer.py"
FIXTURE = "1bd00469-86fa-4f0b-abcc-30cbef80dacc"


def _status(*states: str) -> dict[str, Any]:
    feeds = [{"feed": feed, "state": state, "since": 1, "reason": None, "position": 1,
              "rawOffset": None, "lastHeartbeatAt": None, "lastDataAt": None}
             for feed, state in zip(["ACTIONS", "STATISTICS"], states, strict=False)]  # fmt: skip
    return {"fixtureId": FIXTURE, "sport": "SOCCER", "channel": "BETTING", "changed": "ACTIONS",
            "feeds": feeds, "emittedAt": 1}  # fmt: skip


def _score(home: int, away: int, sequence: int) -> dict[str, Any]:
    team = {"id": None, "name": None}
    return {"fixtureId": FIXTURE, "sport": "SOCCER", "homeTeam": team, "awayTeam": team,
            "homeScore": home, "awayScore": away, "periods": [], "currentPeriod": 1,
            "status": "Live", "clock": "10:00", "clockRunning": True, "finished": False,
            "source": {"feed": "ACTIONS", "sequence": sequence, "position": sequence,
                       "timestamp": 1}}  # fmt: skip


async def test_example_suspends_opens_and_drops_repeats(stack: Endpoints) -> None:
    prefix, topics = await fresh_topics(stack)
    registry = Registry(stack.registry_url)
    status = AvroCodec(topics.feed_status, "feed_status", registry)
    score = AvroCodec(topics.fixture_score, "fixture_score", registry)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    try:
        for record in (_status("LIVE", "LIVE"), _status("LIVE", "DOWN"), _status("LIVE", "DOWN"),
                       _status("LIVE", "LIVE")):  # fmt: skip
            await producer.send_and_wait(
                topics.feed_status, status.encode(record), key=FIXTURE.encode()
            )
        for record in (_score(1, 0, 7), _score(1, 0, 7), _score(1, 1, 9)):  # 7 is repeated
            await producer.send_and_wait(
                topics.fixture_score, score.encode(record), key=FIXTURE.encode()
            )
    finally:
        await producer.stop()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
        "SCHEMA_REGISTRY_URL": stack.registry_url,
        "SPORTSFEED_TOPIC_PREFIX": prefix,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE), "--seconds", "8", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, errors = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, errors.decode()[-3000:]
    lines = output.decode().splitlines()
    assert [line for line in lines if not line.startswith("SCORE")] == [
        f"OPEN {FIXTURE}",
        f"SUSPEND {FIXTURE} STATISTICS=DOWN",
        f"OPEN {FIXTURE}",
    ]
    assert [line for line in lines if line.startswith("SCORE")] == [
        f"SCORE {FIXTURE} 1-0",
        f"SCORE {FIXTURE} 1-1",
    ]
