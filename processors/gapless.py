"""Faust's Kafka consumer without its offset-gap bookkeeping, which stalls and can skip commits.

Faust counts offsets it did not see between two fetched records of a partition (a "gap", as
compaction or transaction markers leave) as acknowledged. After a rebalance it resets its read
position to the committed offset while records fetched before the rebalance are still on their
way, so offsets it did deliver land in a gap as well:

- an offset both acknowledged and in a gap appears twice in the acknowledged list, and Faust's
  commit then advances by an offset or two per commit interval instead of to the last record
  processed (seen here as a worker that had processed everything and committed almost nothing;
  reported upstream as robinhood/faust#625 and #559);
- a gap can also cover records delivered but not yet processed, and committing those would
  lose them in a crash.

sportsfeed's raw topics are not compacted; the producers' transactions leave a marker (an
offset that is no record) after each transaction, which the agent tells from a skipped record
by reading the partition (`sportsfeed.markers`). Without the bookkeeping, commits cover exactly
the records acknowledged, in order, which is the at-least-once guarantee the processor
promises.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from processors.fetching import FetchWaitThread
from processors.handover import HandoverConsumer


class GaplessConsumer(HandoverConsumer):
    def _new_consumer_thread(self) -> FetchWaitThread:
        return FetchWaitThread(self, loop=self.loop, beacon=self.beacon)

    def committed_offset(self, tp: Any) -> int | None:
        """The offset last committed (or sought to) for `tp`: where a seek resumes."""
        offset = self._committed_offset.get(tp)
        return None if offset is None else int(offset)

    def release(self, message: Any) -> None:
        """Stop awaiting a record left unprocessed, without counting it done.

        A rebalance waits until every record handed over is acknowledged; acknowledging one
        that was not processed would let a commit pass it. Released, it is neither awaited
        nor committed; the same offset fetched again is a new record, acknowledged as usual.
        """
        message.acked = True
        self._unacked_messages.discard(message)

    async def _add_gap(self, tp: Any, offset_from: int, offset_to: int) -> None:
        """Record no gap: every offset of a raw topic is a record the agent acknowledges."""


class GaplessTransport(faust_aiokafka.Transport):
    Consumer = GaplessConsumer


class GaplessApp(faust.App):
    """A Faust app whose consumer commits only offsets its agents acknowledged, and fetches
    with `fetch_max_wait_ms` (see processors/fetching.py)."""

    def __init__(
        self, id: str, *, fetch_max_wait_ms: int, changelog_burst: int, **options: Any
    ) -> None:
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.changelog_burst = changelog_burst
        super().__init__(id, **options)

    def _new_producer(self) -> Any:
        """Faust's producer, its buffer of table changelog records allowed a whole burst.

        The agent stores a batch of records' states at once, up to one table write per fixture
        in the batch; with Faust's limit of 100 buffered records the hand-over of new records
        stopped at every such burst until the buffer drained, and logged a warning each time.
        """
        producer = super()._new_producer()
        producer.buffer.max_messages = self.changelog_burst
        return producer

    def on_init_dependencies(self) -> Any:
        """Faust's services, without its Monitor among the sensors: the Monitor keeps
        statistics nothing here reads (the metrics are our own), at a cost on every event."""
        services = super().on_init_dependencies()
        self.sensors.remove(self.monitor)
        return services

    def _new_transport(self) -> Any:
        return GaplessTransport(self.conf.broker_consumer, self)
