"""Smoke test: the broker and the registry are real Apache Kafka 4 and a real Apicurio registry."""

from __future__ import annotations

import json
import re
import uuid

import fastavro
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.protocol.admin import ApiVersionRequest

from sportsfeed.core.kafka_clients import Endpoints

FETCH_API_KEY = 1


async def test_broker_speaks_kafka_4_protocol(stack: Endpoints) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    try:
        node = next(iter(producer.client.cluster.brokers())).nodeId
        response = await producer.client.send(node, ApiVersionRequest())
    finally:
        await producer.stop()
    versions = {key: (low, high) for key, low, high in response.api_versions}
    # Kafka 4.0 removed Fetch v0-v3 (KIP-896); every 3.x broker still accepts v0.
    assert versions[FETCH_API_KEY][0] == 4


def test_local_broker_reports_version_4_1(stack: Endpoints) -> None:
    if stack.kafka_log is None:
        pytest.skip("the user's own cluster: only the protocol check applies")
    log = stack.kafka_log.read_text(encoding="utf-8")
    assert re.search(r"Kafka version: 4\.1\.\d+", log)


async def test_produce_consume_commit(stack: Endpoints) -> None:
    topic, group = f"smoke-{uuid.uuid4().hex[:8]}", f"smoke-group-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()

    sent = [(f"fixture-{i % 4}".encode(), f"frame-{i}".encode()) for i in range(30)]
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        for key, value in sent:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()

    received = await _consume(stack, topic, group, expected=len(sent))
    assert sorted(received) == sorted(sent)
    for key in {key for key, _ in sent}:  # per key, order is kept
        assert [v for k, v in received if k == key] == [v for k, v in sent if k == key]

    # A second member of the group starts at the committed offsets: nothing is left to read.
    assert await _consume(stack, topic, group, expected=0) == []


async def _consume(
    stack: Endpoints, topic: str, group: str, expected: int
) -> list[tuple[bytes, bytes]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=stack.bootstrap_servers,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received: list[tuple[bytes, bytes]] = []
    try:
        for _ in range(20):  # bounded: at most 20 polls of 500 ms
            batch = await consumer.getmany(timeout_ms=500)
            received += [(m.key, m.value) for ms in batch.values() for m in ms]
            if expected and len(received) >= expected:
                break
        await consumer.commit()
        partitions = [TopicPartition(topic, p) for p in range(3)]
        ends = await consumer.end_offsets(partitions)
        for partition in partitions:
            assert await consumer.committed(partition) == ends[partition]
    finally:
        await consumer.stop()
    return received


SCHEMA = {
    "type": "record",
    "name": "Smoke",
    "namespace": "sportsfeed.test",
    "fields": [{"name": "fixtureId", "type": "string"}, {"name": "score", "type": "int"}],
}


def test_registry_registers_and_returns_schema_by_id(stack: Endpoints) -> None:
    subject = f"smoke-{uuid.uuid4().hex[:8]}-value"
    with httpx.Client(base_url=stack.registry_url, timeout=10) as registry:
        answer = registry.post(
            f"/subjects/{subject}/versions",
            json={"schema": json.dumps(SCHEMA)},
            headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        )
        answer.raise_for_status()
        schema_id = answer.json()["id"]
        fetched = registry.get(f"/schemas/ids/{schema_id}").raise_for_status().json()
        again = registry.post(f"/subjects/{subject}", json={"schema": json.dumps(SCHEMA)})
    assert fastavro.parse_schema(json.loads(fetched["schema"])) == fastavro.parse_schema(SCHEMA)
    assert again.raise_for_status().json()["id"] == schema_id


def test_local_registry_is_apicurio_3(stack: Endpoints) -> None:
    if stack.kafka_log is None:
        pytest.skip("the user's own registry need not be Apicurio")
    base = stack.registry_url.removesuffix("/apis/ccompat/v7")
    info = httpx.get(f"{base}/apis/registry/v3/system/info", timeout=10).raise_for_status().json()
    assert "Apicurio" in info["name"]
    assert info["version"].startswith("3.")
