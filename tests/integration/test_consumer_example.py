"""The README's downstream consumer example runs in its own process and decides correctly."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from schemas.outputs import FIXTURE_SCORE, MARKET_STATE
from schemas.registration import writer
from sportsfeed.core.kafka_clients import Endpoints
from tests.integration.pipeline import fresh_topics

EXAMPLE = Path(__file__).parents[2] / "examples" / "pricing_consumer.py"
FIXTURE = "1bd00469-86fa-4f0b-abcc-30cbef80dacc"


def _market(state: str, valid_for_s: float, *reasons: str) -> dict[str, Any]:
    now = time.time_ns() // 1000
    return {
        "fixtureId": FIXTURE,
        "state": state,
        "reasons": list(reasons),
        "validUntil": now + int(valid_for_s * 1e6),
        "decidedAt": now,
        "producerId": "p",
        "livenessAt": now,
        "source": None,
    }


def _score(home: int, away: int, sequence: int) -> dict[str, Any]:
    team = {"id": None, "name": None}
    return {
        "fixtureId": FIXTURE,
        "sport": "SOCCER",
        "homeTeam": team,
        "awayTeam": team,
        "homeScore": home,
        "awayScore": away,
        "periods": [],
        "currentPeriod": 1,
        "status": "Live",
        "clock": "10:00",
        "clockRunning": True,
        "finished": False,
        "source": {"feed": "ACTIONS", "sequence": sequence, "position": sequence, "timestamp": 1},
    }


async def test_example_suspends_opens_drops_repeats_and_suspends_on_an_expired_lease(
    stack: Endpoints,
) -> None:
    prefix, topics = await fresh_topics(stack)
    market = await writer(stack.registry_url, topics, MARKET_STATE)
    score = await writer(stack.registry_url, topics, FIXTURE_SCORE)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    try:
        # The last OPEN is valid for 12 s (the example's start included) and nothing follows
        # it, as when the processors die.
        pending = _market("SUSPENDED", 60, "PENDING_DECISION")
        for record in (_market("OPEN", 60), pending, pending, _market("OPEN", 12)):
            await producer.send_and_wait(
                topics.market_state, market.encode(record), key=FIXTURE.encode()
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
        sys.executable,
        str(EXAMPLE),
        "--seconds",
        "18",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    output, errors = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, errors.decode()[-3000:]
    lines = output.decode().splitlines()
    assert [line for line in lines if not line.startswith("SCORE")] == [
        f"OPEN {FIXTURE}",
        f"SUSPEND {FIXTURE} PENDING_DECISION",
        f"OPEN {FIXTURE}",
        f"SUSPEND {FIXTURE} LEASE_EXPIRED",
    ]
    assert [line for line in lines if line.startswith("SCORE")] == [
        f"SCORE {FIXTURE} 1-0",
        f"SCORE {FIXTURE} 1-1",
    ]
