"""A group's progress as Kafka records it: end offsets, committed offsets, lag."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import OffsetAndMetadata

from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.verbs.progress import GroupWatch, group_progress


async def test_progress_reads_end_and_committed_offsets_per_partition(stack: Endpoints) -> None:
    topic, group = f"progress-{uuid.uuid4().hex[:8]}", f"progress-{uuid.uuid4().hex[:8]}"
    first, second = TopicPartition(topic, 0), TopicPartition(topic, 1)
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    try:
        for partition, count in ((0, 5), (1, 3)):
            for n in range(count):
                await producer.send_and_wait(topic, b"%d" % n, partition=partition)
    finally:
        await producer.stop()

    committer = AIOKafkaConsumer(
        bootstrap_servers=stack.bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    await committer.start()
    try:
        committer.assign([first, second])
        await committer.commit({first: OffsetAndMetadata(3, "")})
        halfway = await group_progress(stack, group, [first, second])
        async with GroupWatch(stack, group, [first, second]) as watch:
            await committer.commit(
                {first: OffsetAndMetadata(5, ""), second: OffsetAndMetadata(3, "")}
            )
            done = await watch.progress()
    finally:
        await committer.stop()

    assert halfway.end == {first: 5, second: 3}
    assert halfway.committed == {first: 3, second: 0}  # nothing committed on the second yet
    assert (halfway.total, halfway.lag, halfway.caught_up) == (8, 5, False)
    assert done.committed == {first: 5, second: 3}
    assert (done.lag, done.caught_up) == (0, True)
