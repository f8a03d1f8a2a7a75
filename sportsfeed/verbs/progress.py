"""How far a consumer group has come: each partition's end offset and the group's committed one.

Read by a consumer that names the group but never joins it, so watching a group does not
rebalance it. Replay's progress bar, the benchmarks and the tests all watch the processors'
group this way.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.markers import RecordProbe
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed

MARKERS_READ = 16  # a group this close to a partition's end may have left only markers


def raw_partitions(topics: Topics, partitions: int) -> list[TopicPartition]:
    """Every partition of both raw topics."""
    return [TopicPartition(topics.raw(feed), p) for feed in Feed for p in range(partitions)]


@dataclass(frozen=True)
class GroupProgress:
    end: dict[TopicPartition, int]  # after the last record (a transaction marker is none)
    committed: dict[TopicPartition, int]  # 0 where the group has committed nothing yet

    @property
    def total(self) -> int:
        """Records in the partitions."""
        return sum(self.end.values())

    @property
    def lag(self) -> int:
        """Records the group has not committed yet."""
        return sum(max(0, end - self.committed[tp]) for tp, end in self.end.items())

    @property
    def caught_up(self) -> bool:
        return self.lag == 0


class GroupWatch:
    """`async with GroupWatch(...) as watch:` then `await watch.progress()` as often as needed."""

    def __init__(self, endpoints: Endpoints, group: str, partitions: list[TopicPartition]) -> None:
        self.partitions = partitions
        self._consumer = AIOKafkaConsumer(
            **endpoints.kafka(group_id=group, enable_auto_commit=False)
        )
        self._probe = RecordProbe(endpoints)

    async def __aenter__(self) -> GroupWatch:
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._probe.close()
        await self._consumer.stop()

    async def committed(self) -> dict[TopicPartition, int]:
        return {tp: await self._consumer.committed(tp) or 0 for tp in self.partitions}

    async def progress(self) -> GroupProgress:
        end = await self._consumer.end_offsets(self.partitions)
        committed = await self.committed()
        for tp, offset in end.items():
            if committed[tp] < offset <= committed[tp] + MARKERS_READ:  # only markers, maybe
                end[tp] = await self._probe.end_of_records(tp, committed[tp], offset)
        return GroupProgress(end, committed)


async def group_progress(
    endpoints: Endpoints, group: str, partitions: list[TopicPartition]
) -> GroupProgress:
    """One reading of a group's progress."""
    async with GroupWatch(endpoints, group, partitions) as watch:
        return await watch.progress()
