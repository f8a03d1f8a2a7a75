"""The producer commits its transaction as often as SPORTSFEED_TRANSACTION_MS says.

Each commit leaves one marker (an offset that holds no record) in every partition written
since the one before, so a partition's offsets beyond its records count the commits.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition

from producers.publisher import Publisher
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.vendor import Feed
from tests.integration.pipeline import fresh_topics, read_topic

WRITING_S = 2.0
PACE_S = 0.01  # a record every 10 ms, as a busy stream sends


async def _commits(stack: Endpoints, transaction_s: float) -> int:
    """How many commits covered a partition written for WRITING_S, then stopped cleanly."""
    prefix, topics = await fresh_topics(stack)
    topic = topics.raw(Feed.ACTIONS)
    publisher = Publisher(stack, 1_000, 120.0, f"{prefix}producer-0", transaction_s)
    await publisher.start()
    sent = 0
    try:
        end = time.monotonic() + WRITING_S
        while time.monotonic() < end and sent < 1_000:
            await publisher.publish(topic, b"one-fixture", b"{}", [])  # one key: one partition
            sent += 1
            await asyncio.sleep(PACE_S)
    finally:
        await publisher.stop()  # commits what is open
    records = await read_topic(stack, topic, idle_ms=1000)
    assert len(records) == sent  # every record committed
    partition = records[0].partition
    assert {record.partition for record in records} == {partition}
    tp = TopicPartition(topic, partition)
    consumer = AIOKafkaConsumer(**stack.kafka())
    await consumer.start()
    try:
        end_offset = (await consumer.end_offsets([tp]))[tp]
    finally:
        await consumer.stop()
    return int(end_offset) - sent


async def test_the_transaction_is_committed_at_the_interval_asked(stack: Endpoints) -> None:
    often = await _commits(stack, transaction_s=0.05)  # at most 40 in 2 s, less each commit's time
    seldom = await _commits(stack, transaction_s=0.5)  # 4 in 2 s, and the one at the stop
    assert often >= 10, often
    assert 2 <= seldom <= 6, seldom
