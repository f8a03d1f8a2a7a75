"""`sportsfeed topics` on topics that exist: configs that differ from the settings are altered
(an operator's other overrides kept), `--check` changes nothing and names every difference, and
a partition count or replication factor it cannot change is refused by name."""

from __future__ import annotations

import asyncio
import os
import sys

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.vendor import Feed
from tests.integration.pipeline import PARTITIONS, fresh_topics

DAY_MS = "86400000"


async def _topics(stack: Endpoints, prefix: str, *args: str, **env: str) -> tuple[int, str]:
    done = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sportsfeed",
        "topics",
        *args,
        env={
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
            "SCHEMA_REGISTRY_URL": stack.registry_url,
            "SPORTSFEED_TOPIC_PREFIX": prefix,
            "SPORTSFEED_PARTITIONS": str(PARTITIONS),
            "SPORTSFEED_REPLICATION": "1",
            **env,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = (await asyncio.wait_for(done.communicate(), 120))[0].decode()
    return done.returncode or 0, output


async def _overrides(admin: AIOKafkaAdminClient, topic: str) -> dict[str, str]:
    (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    (resource,) = response.to_object()["resources"]
    return {
        e["config_names"]: e["config_value"]
        for e in resource["config_entries"]
        if e["config_source"] == 1
    }


async def test_topics_alters_configs_checks_and_refuses_what_it_cannot_change(
    stack: Endpoints,
) -> None:
    prefix, topics = await fresh_topics(stack)  # raw retention -1 (forever)
    raw = topics.raw(Feed.ACTIONS)
    admin = AIOKafkaAdminClient(**stack.kafka())
    await admin.start()
    try:
        # an operator's own override, which an alteration must keep
        own = {"cleanup.policy": "delete", "retention.ms": "-1", "segment.ms": "3600000"}
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, raw, configs=own)])

        code, output = await _topics(stack, prefix, "--check", SPORTSFEED_RAW_RETENTION_MS=DAY_MS)
        assert code != 0
        assert f"{raw} retention.ms=-1->{DAY_MS}" in output
        assert (await _overrides(admin, raw))["retention.ms"] == "-1"  # --check changed nothing

        code, output = await _topics(stack, prefix, SPORTSFEED_RAW_RETENTION_MS=DAY_MS)
        assert code == 0, output
        for feed in Feed:
            assert (await _overrides(admin, topics.raw(feed)))["retention.ms"] == DAY_MS
        assert (await _overrides(admin, raw))["segment.ms"] == "3600000"
        assert (await _overrides(admin, topics.feed_status))["cleanup.policy"] == "compact"
        code, output = await _topics(stack, prefix, "--check", SPORTSFEED_RAW_RETENTION_MS=DAY_MS)
        assert code == 0, output

        code, output = await _topics(stack, prefix, SPORTSFEED_PARTITIONS=str(PARTITIONS + 1))
        assert code != 0
        every = ", ".join(sorted(topics.all()))
        assert f"SPORTSFEED_PARTITIONS is {PARTITIONS + 1} but {every} have {PARTITIONS}:" in output
        assert output.count("SPORTSFEED_PARTITIONS is") == 1  # one sentence, not one per topic
        code, output = await _topics(stack, prefix, SPORTSFEED_REPLICATION="2")
        assert code != 0
        assert f"SPORTSFEED_REPLICATION is 2 but {every} have 1 replicas" in output
        assert "Traceback" not in output
    finally:
        await admin.close()
