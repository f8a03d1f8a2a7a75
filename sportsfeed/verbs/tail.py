"""`sportsfeed tail TOPIC`: any sportsfeed topic as JSON lines (Avro, raw frames, dead letters).

Avro values (Confluent wire format) are decoded with their writer schema from the registry;
raw frames are parsed as the JSON they are; anything else (a dead letter's bytes) is shown as
text, or base64 when it is not text. Stops at the end offsets it found at start unless --follow.
A record with a lease (feed-status, market-state) also gets `expired` (validUntil has passed)
and `livenessAgeS` (age of the producer's record it rests on), read as it is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import sys
import time
import uuid
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.serde import Registry, is_confluent_avro
from sportsfeed.core.admin import require_topics
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.log_noise import output_only
from sportsfeed.core.settings import ClusterSettings
from sportsfeed.stack.local import stack_endpoints
from sportsfeed.verbs.market_view import lease_fields


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "tail",
        help="print a topic's records as JSON lines",
        description="Decode any sportsfeed topic (Avro, raw JSON, dead letters) to JSON lines.",
    )
    parser.add_argument("topic", help="a topic, with or without the prefix (e.g. fixture-score)")
    parser.add_argument(
        "--from",
        dest="start",
        default="beginning",
        type=start_position,
        help="beginning, end, an offset (every partition), or an ISO time such as "
        "2026-05-30T08:00Z (default: beginning)",
    )
    parser.add_argument("--fixture", help="only this fixtureId (the key)")
    parser.add_argument("--limit", type=int, default=0, help="stop after N records (0: no limit)")
    parser.add_argument("--follow", action="store_true", help="keep waiting for new records")
    parser.set_defaults(verb=run)


def start_position(text: str) -> str | int | dt.datetime:
    """--from's value: "beginning", "end", an offset, or an aware time (UTC when no zone given)."""
    if text in {"beginning", "end"}:
        return text
    if text.isdigit():
        return int(text)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not beginning, end, an offset or an ISO time (e.g. 2026-05-30T08:00Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def run(args: argparse.Namespace, settings: ClusterSettings) -> int:
    prefix = settings.topic_prefix
    topic = args.topic if args.topic.startswith(prefix) else prefix + args.topic
    with output_only(settings), stack_endpoints(settings) as endpoints:
        registry = Registry(endpoints.registry_url)
        asyncio.run(_tail(endpoints, registry, topic, args))
    return 0


def decode_value(value: bytes | None, registry: Registry) -> object:
    """A record value as JSON-ready data: Avro decoded, JSON parsed, else text or base64."""
    if value is None:
        return None
    if is_confluent_avro(value):
        return registry.read(value)
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        pass
    try:
        return {"text": value.decode()}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(value).decode()}


def _json_default(item: object) -> object:
    if isinstance(item, dt.datetime):
        return item.isoformat()
    if isinstance(item, uuid.UUID | bytes):
        return str(item) if isinstance(item, uuid.UUID) else base64.b64encode(item).decode()
    raise TypeError(type(item).__name__)


async def _tail(
    endpoints: Endpoints, registry: Registry, topic: str, args: argparse.Namespace
) -> None:
    count = (await require_topics(endpoints, [topic]))[topic]
    consumer = AIOKafkaConsumer(**endpoints.kafka(enable_auto_commit=False))
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(count)]
        consumer.assign(tps)
        await _seek(consumer, tps, args.start)
        ends = await consumer.end_offsets(tps)
        await _print(consumer, registry, tps, ends, args)
    finally:
        await consumer.stop()


async def _seek(
    consumer: AIOKafkaConsumer, tps: list[TopicPartition], start: str | int | dt.datetime
) -> None:
    if start == "beginning":
        await consumer.seek_to_beginning(*tps)
    elif start == "end":
        await consumer.seek_to_end(*tps)
    elif isinstance(start, int):
        for tp in tps:
            consumer.seek(tp, start)
    elif isinstance(start, dt.datetime):
        moment = start
        found = await consumer.offsets_for_times({tp: int(moment.timestamp() * 1000) for tp in tps})
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, found[tp].offset if found[tp] else ends[tp])


async def _print(
    consumer: AIOKafkaConsumer,
    registry: Registry,
    tps: list[TopicPartition],
    ends: dict[TopicPartition, int],
    args: argparse.Namespace,
) -> None:
    printed = 0
    while True:
        batch = await consumer.getmany(*tps, timeout_ms=500)
        for messages in batch.values():
            for message in messages:
                key = message.key.decode(errors="replace") if message.key else None
                if args.fixture and key != args.fixture:
                    continue
                value = decode_value(message.value, registry)
                line = {
                    "topic": message.topic,
                    "partition": message.partition,
                    "offset": message.offset,
                    "timestamp": message.timestamp,
                    "key": key,
                    "headers": {k: v.decode(errors="replace") for k, v in message.headers},
                    "value": value,
                } | lease_fields(value, time.time_ns() // 1000)
                sys.stdout.write(orjson.dumps(line, default=_json_default).decode() + "\n")
                printed += 1
                if args.limit and printed >= args.limit:
                    return
        sys.stdout.flush()
        positions = [await consumer.position(tp) for tp in tps]
        if not args.follow and all(at >= ends[tp] for at, tp in zip(positions, tps, strict=True)):
            return
