"""Processor (I/O): after a rebalance, each raw partition resumes at its committed offset and
goes on one offset at a time; a record Faust hands over past a skipped one is sent back.

Faust sometimes hands over a record from a batch fetched before it sought the partition, or
past records it never delivered; processing it would move fixtures' state past frames whose
outputs were never derived. The agent asks `missing_before` of every record it is handed.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any, NamedTuple

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from processors.gapless import GaplessConsumer
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.markers import RecordProbe
from sportsfeed.core.vendor import Feed

log = logging.getLogger(__name__)


class Start(NamedTuple):
    """Where a partition resumes after a rebalance, and its committed offset (None: none)."""

    offset: int
    committed: int | None


class GroupOffsets:
    """The processor group's committed offsets, asked of Kafka (Faust's own record of them is
    empty until its first commit after a start)."""

    def __init__(self, endpoints: Endpoints, group: str) -> None:
        self.endpoints, self.group = endpoints, group
        self._admin: AIOKafkaAdminClient | None = None

    async def committed(self, tps: Collection[TopicPartition]) -> dict[TopicPartition, int | None]:
        """The partitions' committed offsets (None: never committed), asked in one request."""
        if self._admin is None:
            self._admin = AIOKafkaAdminClient(**self.endpoints.kafka(client_id=self.group))
            await self._admin.start()
        found = await self._admin.list_consumer_group_offsets(self.group, partitions=list(tps))
        offsets = {tp: found[tp].offset if tp in found else -1 for tp in tps}
        return {tp: offset if offset >= 0 else None for tp, offset in offsets.items()}

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None


class Resumes:
    """Where each raw partition must go on: `positions` is the agent's own record of the last
    offset processed per partition, shared (the agent writes it for every record)."""

    def __init__(
        self,
        positions: dict[tuple[str, int], int],
        feeds: dict[str, Feed],
        offsets: GroupOffsets,
        probe: RecordProbe,
    ) -> None:
        self.positions, self.feeds, self.offsets, self.probe = positions, feeds, offsets, probe
        self.unchecked: set[tuple[str, int]] = set()  # assigned, first record not yet seen
        self.starts: dict[tuple[str, int], Start] = {}  # of the assignment, as Kafka told

    def on_assigned(self, assigned: set[Any]) -> None:
        """After a rebalance, each partition resumes at its committed offset, asked of Kafka."""
        self.unchecked = {(tp.topic, tp.partition) for tp in assigned if tp.topic in self.feeds}
        self.starts = {}

    async def missing_before(self, message: Any, consumer: GaplessConsumer) -> int | None:
        """The offset Faust should have handed over instead of `message`, if it skipped one.

        A raw partition's offsets hold records and the markers of the producers' transactions
        (no compaction): after a rebalance a partition resumes at its committed offset (its
        start if the group never committed one), and
        offset N is followed by N+1 (or a repeat of an earlier offset), or by the next record
        after markers. Faust sometimes hands over a record past that,
        from a batch fetched before it sought the partition; processing it would move
        fixtures' state past frames whose outputs were never derived.
        """
        key = (message.topic, message.partition)
        where = TopicPartition(message.topic, message.partition)
        if key in self.unchecked:
            self.unchecked.discard(key)
            start, committed = self.starts.get(key) or (await self._look_up(key))[key]
            log.info(
                "%s[%d] resumes at offset %d (committed: %s, expected: %d)",
                message.topic,
                message.partition,
                message.offset,
                committed,
                start,
            )
            self.positions[key] = start - 1  # what comes next must be `start`
        last = self.positions.get(key)
        if last is None or message.offset <= last + 1:
            return None
        # transaction markers take offsets too: only a record in between was skipped
        markers = consumer.markers
        if markers.cover(message.topic, message.partition, last + 1, message.offset):
            return None  # as the fetcher saw: the usual case, answered without reading
        first = await self.probe.first_record(where, last + 1, message.offset)
        if first is None:  # for the commits to pass them
            markers.add(message.topic, message.partition, range(last + 1, message.offset))
        return first

    async def _look_up(self, key: tuple[str, int]) -> dict[tuple[str, int], Start]:
        """Where `key` and every other partition of the assignment not yet seen resume, asked
        of Kafka at once (a question per partition held a starting worker up for seconds).

        Their committed offsets stay as asked until their first records are processed: in
        this generation only this worker commits them, and only what it processed. A
        partition never committed resumes at the log's start (auto_offset_reset is earliest):
        records before the first one seen here were handed over while the group rebalanced
        and left unprocessed, so they must come again.
        """
        starts = self.starts  # the assignment's, even if a rebalance replaces it meanwhile
        tps = [TopicPartition(*unseen) for unseen in self.unchecked | {key}]
        committed = await self.offsets.committed(tps)
        log_starts = await self.probe.log_starts([tp for tp in tps if committed[tp] is None])
        for tp in tps:
            offset = committed[tp]
            resume = offset if offset is not None else log_starts[tp]
            starts[tp.topic, tp.partition] = Start(resume, offset)
        return starts

    async def close(self) -> None:
        await self.offsets.close()
        await self.probe.close()
