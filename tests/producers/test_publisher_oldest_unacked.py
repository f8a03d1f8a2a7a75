"""The producer's oldest-unacked age, which the Kafka outage alert compares with the outage limit:
the age of the oldest record still awaiting its ack, whatever order acks come back in."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from producers.publisher import Publisher
from sportsfeed.core.kafka_clients import Endpoints


class HeldAcks:
    """Stands in for aiokafka's producer: each send's ack is a future the test completes."""

    def __init__(self) -> None:
        self.acks: list[asyncio.Future[Any]] = []

    async def send(self, *_args: Any, **_kwargs: Any) -> asyncio.Future[Any]:
        self.acks.append(asyncio.get_running_loop().create_future())
        return self.acks[-1]


async def test_the_age_is_the_oldest_unacknowledged_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr("producers.publisher.time.monotonic", lambda: clock[0])
    nowhere = Endpoints("127.0.0.1:1", "http://127.0.0.1:1")
    publisher = Publisher(nowhere, 10, 120.0, "t.producer-0", transaction_s=0.5)
    await publisher.stop()  # its aiokafka producer, never started: the test's stands in for it
    kafka = HeldAcks()
    publisher._producer = kafka  # type: ignore[assignment]
    assert publisher.oldest_unacked_s() == 0.0
    for _ in range(3):
        await publisher.publish("t", b"k", b"v", [])
        clock[0] += 10  # records sent at 1000, 1010, 1020; now 1030
    assert publisher.oldest_unacked_s() == 30.0
    kafka.acks[1].set_result(None)  # a later partition's ack first: the oldest still waits
    await asyncio.sleep(0)
    assert publisher.oldest_unacked_s() == 30.0
    kafka.acks[0].set_result(None)
    await asyncio.sleep(0)
    assert publisher.oldest_unacked_s() == 10.0
    kafka.acks[2].set_result(None)
    await asyncio.sleep(0)
    assert publisher.oldest_unacked_s() == 0.0
