"""Producer, step 0: where each stream resumes, from what Kafka holds (not from memory).

`feed-status` checkpoints say, per fixture and feed, the position reached and the raw record's
offset at that position. Records may have landed after the last checkpoint (a crash between the
two), so each raw partition is scanned from the oldest checkpoint among our fixtures to its end,
and the highest `position` header found per stream wins. A stream with no checkpoint scans its
partition from the beginning. This holds across kill -9: nothing here trusts local state.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from producers.protocol import StreamId
from schemas.serde import AvroCodec
from simulator.model import Feed
from sportsfeed.topics import Topics

log = logging.getLogger(__name__)
_POLL_MS = 500


@dataclass(frozen=True)
class Resume:
    position: int = 0
    raw_offset: int | None = None


async def resume_points(
    bootstrap_servers: str, topics: Topics, status_codec: AvroCodec, streams: list[StreamId]
) -> dict[StreamId, Resume]:
    """The position every stream in `streams` resumes from."""
    checkpoints = await _checkpoints(bootstrap_servers, topics.feed_status, status_codec)
    found = {s: checkpoints.get((s.fixture_id, s.feed), Resume()) for s in streams}
    for feed in Feed:
        mine = [s for s in streams if s.feed is feed]
        if mine:
            found.update(await _scan_raw(bootstrap_servers, topics.raw(feed), mine, found))
    return found


async def _read_to_end(
    consumer: AIOKafkaConsumer, starts: dict[TopicPartition, int]
) -> list[object]:
    """Every record from `starts` up to the end offsets as they are now."""
    ends = await consumer.end_offsets(list(starts))
    pending = {tp for tp in starts if starts[tp] < ends[tp]}
    for tp, offset in starts.items():
        consumer.seek(tp, offset)
    records: list[object] = []
    while pending:
        batch = await consumer.getmany(*pending, timeout_ms=_POLL_MS)
        for tp, messages in batch.items():
            records.extend(messages)
            if messages and messages[-1].offset + 1 >= ends[tp]:
                pending.discard(tp)
    return records


async def _checkpoints(
    bootstrap_servers: str, topic: str, codec: AvroCodec
) -> dict[tuple[str, Feed], Resume]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        starts = await consumer.beginning_offsets(tps)
        records = await _read_to_end(consumer, starts)
    finally:
        await consumer.stop()
    latest: dict[tuple[str, Feed], Resume] = {}
    for message in records:
        status = codec.decode(message.value)  # type: ignore[attr-defined]
        for feed_state in status["feeds"]:
            key = (str(status["fixtureId"]), Feed[feed_state["feed"]])
            latest[key] = Resume(feed_state["position"], feed_state["rawOffset"])
    return latest


async def _scan_raw(
    bootstrap_servers: str, topic: str, streams: list[StreamId], known: dict[StreamId, Resume]
) -> dict[StreamId, Resume]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or set())
        if not partitions:
            return {}
        by_key = {s.fixture_id.encode(): s for s in streams}
        starts: dict[TopicPartition, int] = {}
        partitioner = DefaultPartitioner()
        for key, stream in by_key.items():
            tp = TopicPartition(topic, partitioner(key, partitions, partitions))
            resume = known[stream]
            start = 0 if resume.raw_offset is None else resume.raw_offset + 1
            starts[tp] = min(starts.get(tp, start), start)
        consumer.assign(list(starts))
        firsts = await consumer.beginning_offsets(list(starts))
        starts = {tp: max(offset, firsts[tp]) for tp, offset in starts.items()}
        records = await _read_to_end(consumer, starts)
    finally:
        await consumer.stop()
    latest: dict[StreamId, Resume] = defaultdict(Resume)
    for message in records:
        found = by_key.get(message.key)  # type: ignore[attr-defined]
        if found is None:
            continue
        stream = found
        position = int(dict(message.headers)["position"])  # type: ignore[attr-defined]
        if position > max(known[stream].position, latest[stream].position):
            latest[stream] = Resume(position, message.offset)  # type: ignore[attr-defined]
    log.info("recovered positions scanned=%d topic=%s", len(records), topic)
    return dict(latest)
