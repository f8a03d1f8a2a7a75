"""The processor's Kafka fetch wait, which Faust hard-codes to 1.5 s, set from our settings.

aiokafka keeps one fetch request in flight per broker, and leaves out of it every partition
whose fetched records the application has not taken yet. Under steady traffic the busy
partitions are often in that state, so the request carries only the others; when those are
idle (a raw topic no fixture writes, as when every fixture subscribes one feed) the broker
holds the request for its full wait, and records arriving meanwhile on the busy partitions
cannot be fetched until it returns. With Faust's `fetch_max_wait_ms=1500`, actions-only
traffic waited about a second per record. The wait is therefore the bound on what an idle
partition can add to a busy one's latency; the price of a short wait is an empty fetch
response every `fetch_max_wait_ms` from a broker whose partitions are all idle.

Faust builds its consumer without a way to pass this value, so it is set here, on the
consumer Faust built, before it starts (aiokafka reads it when it creates its fetcher).

The thread also learns, after each fetch, which offsets the fetcher skipped (the producers'
transaction markers, see `processors.skipped`), for the commits to pass them.

And after a rebalance it seeks every partition the agents read to where processing resumes,
including those with nothing committed yet (`seek_to_committed`): aiokafka seeks only
partitions with a committed offset above 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.transport.drivers import aiokafka as faust_aiokafka

from processors.skipped import Learner

if TYPE_CHECKING:
    from processors.gapless import GaplessApp, GaplessConsumer


class FetchWaitThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's consumer thread, its aiokafka consumer built with the app's fetch wait."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        if not hasattr(consumer, "_fetch_max_wait_ms"):
            # A silently ignored setting would bring the second-long waits back unnoticed.
            raise RuntimeError("aiokafka's consumer no longer has _fetch_max_wait_ms")
        consumer._fetch_max_wait_ms = cast("GaplessApp", self.app).fetch_max_wait_ms
        markers = cast("GaplessConsumer", self.consumer).markers
        self._learner = Learner(markers, self.app.topics.acks_enabled_for)
        self._learner.watch(consumer)
        return consumer

    async def seek_to_committed(self) -> Mapping[Any, int]:
        """Faust's seek after a rebalance, from the beginning where nothing is committed."""
        consumer = self._ensure_consumer()
        committed = await self.call_thread(
            seek_to_committed, consumer, self.app.topics.acks_enabled_for
        )
        return cast("Mapping[Any, int]", committed)  # Faust's type: None stands for unset

    async def _fetch_records(self, consumer: Any, *args: Any, **kwargs: Any) -> Any:
        records = await super()._fetch_records(consumer, *args, **kwargs)
        self._learner.fetched(consumer, records)  # before any of them is handed over
        return records


async def seek_to_committed(
    consumer: AIOKafkaConsumer, streamed: Callable[[str], bool]
) -> dict[TopicPartition, int | None]:
    """Seek each assigned partition to its committed offset, and each of the `streamed` topics'
    partitions with nothing committed (or 0) to its beginning; the committed offsets.

    aiokafka's own `seek_to_committed` leaves a partition with nothing committed where its
    fetcher got to. A worker that keeps such a partition through a rebalance (before its
    first commit) then resumes after the records fetched before the rebalance, which Faust
    drops unprocessed (they belong to the older generation): they never come again, and at a
    partition's end no later record shows they are missing. The worker waits for them until
    its stall limit ends it. The tables' changelogs (not `streamed`) keep their positions: the
    recovery owns them.
    """
    committed: dict[TopicPartition, int | None] = await consumer.seek_to_committed()
    fresh = [tp for tp, offset in committed.items() if not offset and streamed(tp.topic)]
    if fresh:
        await consumer.seek_to_beginning(*fresh)
    return committed
