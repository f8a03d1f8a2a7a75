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
offset that is no record) after each transaction. Instead of gaps, the consumer keeps the
offsets known to be markers (`processors.skipped`: learned from the fetcher's positions, or
from reading the partition when the agent had to) and counts those as acknowledged. Commits
then cover exactly the records acknowledged and the markers between them, in order, which is
the at-least-once guarantee the processor promises.
"""

from __future__ import annotations

from typing import Any, cast

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from processors.fetching import FetchWaitThread
from processors.handover import HandoverConsumer, Runs
from processors.skipped import Markers


class GaplessConsumer(HandoverConsumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.markers = Markers()  # before the thread that learns them starts
        super().__init__(*args, **kwargs)
        self.runs = cast(GaplessApp, self.app).runs

    def _new_consumer_thread(self) -> FetchWaitThread:
        return FetchWaitThread(self, loop=self.loop, beacon=self.beacon)

    def committed_offset(self, tp: Any) -> int | None:
        """The offset last committed (or sought to) for `tp`: where a seek resumes."""
        offset = self._committed_offset.get(tp)
        return None if offset is None else int(offset)

    def take(self, message: Any) -> None:
        """Count a record handed to the agent as awaited until acknowledged: a rebalance waits
        for it (what Faust's stream does with each event's record)."""
        message.tracked = True
        self._unacked_messages.add(message)

    async def _add_gap(self, tp: Any, offset_from: int, offset_to: int) -> None:
        """Record no gap: an offset is acknowledged by the agent, or a known marker."""

    def _new_offset(self, tp: Any) -> int | None:
        """Faust's next commit (the first run of consecutive acknowledged offsets), markers
        counted in; nothing while the committed offset itself is neither (Faust would pass
        one such offset)."""
        acked = self._acked[tp]
        if not acked:
            return None
        committed = self._committed_offset[tp]
        start = min(acked) if committed is None else committed
        index = self._acked_index[tp]
        for offset in self.markers.between(tp.topic, tp.partition, start, max(acked)):
            if offset not in index:
                index.add(offset)
                acked.append(offset)
        if committed is not None and committed not in index:
            return None
        new = super()._new_offset(tp)
        if new is not None:
            self.markers.forget_below(tp.topic, tp.partition, new)
        return new


class GaplessTransport(faust_aiokafka.Transport):
    Consumer = GaplessConsumer


class GaplessApp(faust.App):
    """A Faust app whose consumer commits only offsets its agents acknowledged, fetches with
    `fetch_max_wait_ms` (see processors/fetching.py), and passes the raw topics' records to
    `runs` a run at a time (see processors/handover.py)."""

    runs: Runs | None = None  # where the hand-over passes the raw topics' records

    def __init__(self, id: str, *, fetch_max_wait_ms: int, **options: Any) -> None:
        self.fetch_max_wait_ms = fetch_max_wait_ms
        super().__init__(id, **options)

    def on_init_dependencies(self) -> Any:
        """Faust's services, without its Monitor among the sensors: the Monitor keeps
        statistics nothing here reads (the metrics are our own), at a cost on every event."""
        services = super().on_init_dependencies()
        self.sensors.remove(self.monitor)
        return services

    def on_rebalance_start(self) -> None:
        """With no sensors left the sensors' state of a rebalance is an empty dict, which
        Faust reads as missing and warns about when the rebalance returns and ends: at every
        rebalance, two warnings about nothing. A non-empty stand-in (no sensor reads it)."""
        super().on_rebalance_start()
        self._rebalancing_sensor_state = self._rebalancing_sensor_state or {"sensors": None}

    def _new_transport(self) -> Any:
        return GaplessTransport(self.conf.broker_consumer, self)
