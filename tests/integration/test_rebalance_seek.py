"""After a rebalance the worker's consumer seeks to where processing resumes, even where
nothing is committed yet (processors/fetching.py `seek_to_committed`)."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from processors.fetching import seek_to_committed
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.vendor import Feed
from tests.integration.pipeline import fresh_topics

RECORDS = 5


async def _fetched_to_the_end(stack: Endpoints, *topics: str) -> AIOKafkaConsumer:
    """A group member that fetched every record of `topics` and committed nothing."""
    producer = AIOKafkaProducer(**stack.kafka())
    await producer.start()
    try:
        for topic in topics:
            for i in range(RECORDS):
                await producer.send_and_wait(topic, b"%d" % i, key=b"k", partition=0)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        *topics,
        **stack.kafka(
            group_id=f"seek-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        ),
    )
    await consumer.start()
    fetched = 0
    for _ in range(50):  # bounded: 50 fetches of at most 1 s
        batches = await consumer.getmany(timeout_ms=1000)
        fetched += sum(len(records) for records in batches.values())
        if fetched == RECORDS * len(topics):
            break
    assert fetched == RECORDS * len(topics)
    return consumer


async def test_a_partition_with_nothing_committed_is_read_again_from_its_beginning(
    stack: Endpoints,
) -> None:
    _, topics = await fresh_topics(stack)
    raw, other = topics.raw(Feed.ACTIONS), topics.raw(Feed.STATISTICS)  # other: a changelog's part
    consumer = await _fetched_to_the_end(stack, raw, other)
    try:
        raw_tp, other_tp = TopicPartition(raw, 0), TopicPartition(other, 0)
        # aiokafka's own seek leaves them where the fetcher got to: the records fetched
        # before the rebalance would never come again.
        await consumer.seek_to_committed()
        assert await consumer.position(raw_tp) == RECORDS

        committed = await seek_to_committed(consumer, streamed=lambda topic: topic == raw)

        assert committed[raw_tp] is None
        assert await consumer.position(raw_tp) == 0
        assert await consumer.position(other_tp) == RECORDS  # not streamed: left alone
    finally:
        await consumer.stop()


async def test_a_committed_partition_resumes_at_its_commit(stack: Endpoints) -> None:
    _, topics = await fresh_topics(stack)
    consumer = await _fetched_to_the_end(stack, topics.raw(Feed.ACTIONS))
    try:
        tp = TopicPartition(topics.raw(Feed.ACTIONS), 0)
        await consumer.commit({tp: 3})

        committed = await seek_to_committed(consumer, streamed=lambda _topic: True)

        assert committed[tp] == 3
        assert await consumer.position(tp) == 3
    finally:
        await consumer.stop()
