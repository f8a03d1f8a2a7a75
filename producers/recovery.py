"""Producer, step 0: where each stream resumes, from what Kafka holds (not from memory).

`feed-status` checkpoints say, per fixture and feed, the position reached and the raw record's
offset at that position. Records may have landed after the last checkpoint (a crash between the
two), so each raw partition is scanned from the oldest checkpoint among our fixtures to its end,
and the highest `position` header found per stream wins. A stream with no checkpoint scans its
partition from the beginning. This holds across kill -9: nothing here trusts local state.

`unfinished_fixtures` lists the fixtures `feed-status` last saw with a stream neither FINISHED
nor given up: a producer resumes them on start whether or not discovery (which lists live
fixtures only) or the fixture list still names them, so a restart across a match's end still
publishes its last frames.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from producers.protocol import StreamId, marks_finished
from producers.status import GAVE_UP, State
from schemas.serde import AvroReader
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed, Sport

log = logging.getLogger(__name__)
_POLL_MS = 500
# what the producers committed: an aborted transaction's frames (a fenced or killed producer's)
# are not there, so positions come from committed frames only
_COMMITTED = {"enable_auto_commit": False, "isolation_level": "read_committed"}


@dataclass(frozen=True)
class Resume:
    position: int = 0
    raw_offset: int | None = None
    finished: bool = False  # the last frame published said the fixture finished


@dataclass(frozen=True)
class Checkpoint:
    """A stream's latest feed-status entry."""

    sport: Sport
    state: State
    reason: str | None
    resume: Resume

    @property
    def unfinished(self) -> bool:
        given_up = self.state is State.FAILED and (self.reason or "").startswith(GAVE_UP)
        return self.state is not State.FINISHED and not given_up


async def unfinished_fixtures(
    endpoints: Endpoints, topics: Topics, partitions: int, status_reader: AvroReader
) -> list[tuple[Sport, str]]:
    """Fixtures with a stream that feed-status last saw unfinished, in fixture order."""
    checkpoints = await _checkpoints(endpoints, _all(topics.feed_status, partitions), status_reader)
    found = {(c.sport, fixture_id) for (fixture_id, _), c in checkpoints.items() if c.unfinished}
    return sorted(found, key=lambda item: item[1])


async def resume_points(
    endpoints: Endpoints,
    topics: Topics,
    partitions: int,
    status_reader: AvroReader,
    streams: list[StreamId],
) -> dict[StreamId, Resume]:
    """The position every stream in `streams` resumes from (topics have `partitions` each)."""
    checkpoints = await _checkpoints(endpoints, _all(topics.feed_status, partitions), status_reader)
    found = {s: _resume(checkpoints.get((s.fixture_id, s.feed))) for s in streams}
    for feed in Feed:
        mine = [s for s in streams if s.feed is feed]
        if mine:
            raw = _all(topics.raw(feed), partitions)
            found.update(await _scan_raw(endpoints, raw, mine, found))
    return found


def _resume(checkpoint: Checkpoint | None) -> Resume:
    return Resume() if checkpoint is None else checkpoint.resume


def _all(topic: str, partitions: int) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for p in range(partitions)]


async def _read_to_end(
    consumer: AIOKafkaConsumer, starts: dict[TopicPartition, int]
) -> list[object]:
    """Every record from `starts` up to the end offsets as they are now."""
    ends = await consumer.end_offsets(list(starts))
    pending = {tp for tp in starts if starts[tp] < ends[tp]}
    for tp in sorted(pending):
        log.info("recovery reads %s[%d] %d..%d", tp.topic, tp.partition, starts[tp], ends[tp])
    for tp, offset in starts.items():
        consumer.seek(tp, offset)
    records: list[object] = []
    while pending:
        batch = await consumer.getmany(*pending, timeout_ms=_POLL_MS)
        for messages in batch.values():
            records.extend(messages)
        for tp in list(pending):  # transaction markers take offsets too: the position says
            if await consumer.position(tp) >= ends[tp]:
                pending.discard(tp)
    return records


async def _checkpoints(
    endpoints: Endpoints, tps: list[TopicPartition], reader: AvroReader
) -> dict[tuple[str, Feed], Checkpoint]:
    consumer = AIOKafkaConsumer(**endpoints.kafka(**_COMMITTED))
    await consumer.start()
    try:
        consumer.assign(tps)
        starts = await consumer.beginning_offsets(tps)
        records = await _read_to_end(consumer, starts)
    finally:
        await consumer.stop()
    latest: dict[tuple[str, Feed], Checkpoint] = {}
    for message in records:
        status = reader.decode(message.value)  # type: ignore[attr-defined]
        sport = Sport[status["sport"]]
        for feed_state in status["feeds"]:
            key = (str(status["fixtureId"]), Feed[feed_state["feed"]])
            state = State(feed_state["state"])
            resume = Resume(
                feed_state["position"], feed_state["rawOffset"], state is State.FINISHED
            )
            latest[key] = Checkpoint(sport, state, feed_state["reason"], resume)
    return latest


async def _scan_raw(
    endpoints: Endpoints,
    tps: list[TopicPartition],
    streams: list[StreamId],
    known: dict[StreamId, Resume],
) -> dict[StreamId, Resume]:
    topic, partitions = tps[0].topic, [tp.partition for tp in tps]
    consumer = AIOKafkaConsumer(**endpoints.kafka(**_COMMITTED))
    await consumer.start()
    try:
        by_key = {s.fixture_id.encode(): s for s in streams}
        starts: dict[TopicPartition, int] = {}
        partitioner = DefaultPartitioner()
        for key, stream in by_key.items():
            tp = TopicPartition(topic, partitioner(key, partitions, partitions))
            resume = known[stream]
            # from the checkpointed record itself: it tells whether the stream had finished
            start = 0 if resume.raw_offset is None else resume.raw_offset
            starts[tp] = min(starts.get(tp, start), start)
        consumer.assign(list(starts))
        firsts = await consumer.beginning_offsets(list(starts))
        starts = {tp: max(offset, firsts[tp]) for tp, offset in starts.items()}
        records = await _read_to_end(consumer, starts)
    finally:
        await consumer.stop()
    latest: dict[StreamId, Resume] = {}
    for message in records:
        found = by_key.get(message.key)  # type: ignore[attr-defined]
        if found is None:
            continue
        stream = found
        position = int(dict(message.headers)["position"])  # type: ignore[attr-defined]
        if position >= max(known[stream].position, latest.get(stream, Resume()).position):
            finished = marks_finished(message.value.decode(errors="replace"))  # type: ignore[attr-defined]
            latest[stream] = Resume(position, message.offset, finished)  # type: ignore[attr-defined]
    log.info("recovered positions scanned=%d topic=%s", len(records), topic)
    return dict(latest)
