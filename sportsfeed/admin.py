"""Topics: create every sportsfeed topic with one partition count, or refuse a mismatch."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from sportsfeed.errors import SettingsError
from sportsfeed.topics import Topics

log = logging.getLogger(__name__)
_SETTLE_TRIES = 50
_SETTLE_PAUSE_S = 0.2


async def ensure_topics(
    bootstrap_servers: str, topics: Topics, partitions: int, replication: int, raw_retention_ms: int
) -> dict[str, int]:
    """Create the missing topics; raise SettingsError if one exists with another partition count."""
    wanted = topics.all(raw_retention_ms)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="sportsfeed-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            new = [
                NewTopic(name, partitions, replication, topic_configs=wanted[name])
                for name in missing
            ]
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile elsewhere
                await admin.create_topics(new)
            log.info("created topics %s", ",".join(missing))
        counts = await _partition_counts(admin, list(wanted))
    finally:
        await admin.close()
    wrong = {name: n for name, n in counts.items() if n != partitions}
    if wrong:
        listed = ", ".join(f"{name} has {n}" for name, n in sorted(wrong.items()))
        raise SettingsError(
            f"SPORTSFEED_PARTITIONS is {partitions} but {listed}: every topic must share one "
            "partition count (co-partitioned by fixtureId); set SPORTSFEED_PARTITIONS to match"
        )
    return counts


async def _partition_counts(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, int]:
    """Partitions per topic, once the metadata of newly created topics has settled."""
    for _ in range(_SETTLE_TRIES):
        described = await admin.describe_topics(names)
        if all(d["error_code"] == 0 and d["partitions"] for d in described):
            break
        await asyncio.sleep(_SETTLE_PAUSE_S)  # just created: leaders not yet elected
    return {d["topic"]: len(d["partitions"]) for d in described}


async def partition_count(bootstrap_servers: str, topic: str) -> int:
    """How many partitions `topic` has; 0 if it does not exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="sportsfeed-admin")
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return len(described["partitions"]) if described["error_code"] == 0 else 0
