"""A replay's topics and consumer groups under its prefix: what they hold, and their clean-up.

A replay writes under its own prefix and its workers commit under a group of that prefix, so
replaying into a used prefix again would find everything committed and add nothing. `replay`
asks `held_records` first; `delete_replay` removes every topic and group under a prefix, and
refuses a prefix whose raw topics hold frames: that is a pipeline's prefix, not a replay's.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import DeleteGroupsRequest

from sportsfeed.core.admin import connect
from sportsfeed.core.errors import InfrastructureError, SettingsError
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed

GROUP_NOT_FOUND = 69  # Kafka's GROUP_ID_NOT_FOUND: nothing to delete
_GONE_TRIES, _GONE_PAUSE_S = 150, 0.2
RAW_SUFFIXES = tuple(Topics("").raw(feed) for feed in Feed)


def derived_topics(topics: Topics) -> list[str]:
    """What a replay writes: the topics a second replay into the same prefix would add to."""
    return [topics.fixture_score, topics.period_delta, topics.fixture_finished, topics.rejected]


async def held_records(endpoints: Endpoints, names: list[str]) -> dict[str, int]:
    """Records per topic among `names` that exist and hold any."""
    admin = await connect(endpoints)
    try:
        existing = set(await admin.list_topics())
        described = await admin.describe_topics([n for n in names if n in existing])
    finally:
        await admin.close()
    tps = [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]
    if not tps:
        return {}
    consumer = AIOKafkaConsumer(**endpoints.kafka())
    await consumer.start()
    try:
        start, end = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    held: dict[str, int] = {}
    for tp in tps:
        held[tp.topic] = held.get(tp.topic, 0) + end[tp] - start[tp]
    return {topic: count for topic, count in held.items() if count}


async def delete_replay(endpoints: Endpoints, prefix: str) -> list[str]:
    """Delete every topic and consumer group under `prefix`; the topics deleted."""
    admin = await connect(endpoints)
    try:
        names = sorted(n for n in await admin.list_topics() if n.startswith(prefix))
        copies = f"{prefix}selected."  # a replay's own copy of the frames it selected
        raw = [n for n in names if n.endswith(RAW_SUFFIXES) and not n.startswith(copies)]
        frames = await held_records(endpoints, raw)
        if frames:
            listed = ", ".join(f"{topic} ({count:,} frames)" for topic, count in frames.items())
            raise SettingsError(
                f"--to-prefix {prefix} is a pipeline's prefix, not a replay's: its raw topics "
                f"hold frames ({listed}); nothing deleted"
            )
        groups = [g for g, *_ in await admin.list_consumer_groups() if str(g).startswith(prefix)]
        await _delete_groups(admin, groups)
        if names:
            await admin.delete_topics(names)
            await _gone(admin, names)
    finally:
        await admin.close()
    return names


async def _gone(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    """Wait until Kafka lists none of `names` (deletion completes after the request)."""
    for _ in range(_GONE_TRIES):
        if not set(names) & set(await admin.list_topics()):
            return
        await asyncio.sleep(_GONE_PAUSE_S)
    raise InfrastructureError(f"Kafka still lists {', '.join(names)} after deleting them")


async def _delete_groups(admin: AIOKafkaAdminClient, groups: list[str]) -> None:
    """Delete consumer groups (aiokafka's admin client has the request but no method for it)."""
    for group in groups:
        coordinator = await admin.find_coordinator(group)
        response = await admin._send_request(DeleteGroupsRequest([group]), coordinator)
        for name, code in response.results:
            if code not in (0, GROUP_NOT_FOUND):
                raise SettingsError(
                    f"consumer group {name} cannot be deleted ({for_code(code).__name__}): "
                    "is a replay into this prefix still running? Stop it and try again"
                )
