"""Processor (I/O): lag gauges, and the decision that a worker is stuck and must be restarted.

A last line of defence, should Faust stop handing over records or committing them: records
wait or await their commit, yet nothing was processed nor committed for the stall limit.
The agent records the last offset processed per raw partition and when it last progressed;
this reads them on a timer, never per record.
"""

from __future__ import annotations

from typing import Any

from aiokafka import TopicPartition

from processors.gapless import GaplessConsumer
from processors.metrics import Metrics
from sportsfeed.core.markers import RecordProbe
from sportsfeed.core.vendor import Feed


class Lag:
    """The raw partitions' lag, from the agent's `positions` (last offset processed)."""

    def __init__(
        self,
        positions: dict[tuple[str, int], int],
        feeds: dict[str, Feed],
        metrics: Metrics,
        probe: RecordProbe,
    ) -> None:
        self.positions, self.feeds, self.metrics, self.probe = positions, feeds, metrics, probe
        self.committed: dict[Any, int | None] = {}  # per raw partition, as of the last check

    def update(self, consumer: GaplessConsumer) -> tuple[int, bool]:
        """Set the lag gauges; the raw records waiting or processed but not yet committed, and
        whether the commits moved since the last check (a commit is progress too)."""
        behind = 0
        committed = {}
        for tp in consumer.assignment():
            if tp.topic not in self.feeds:
                continue
            last = self.positions.get((tp.topic, tp.partition))
            highwater = consumer.highwater(tp)
            if highwater is not None and last is not None:
                self.metrics.lag.labels(tp.topic, str(tp.partition)).set(highwater - last - 1)
                behind += max(0, highwater - last - 1)
            committed[tp] = consumer.committed_offset(tp)
            if last is not None:
                behind += max(0, last + 1 - (committed[tp] or 0))
        moved = committed != self.committed
        self.committed = committed
        return behind, moved

    async def behind(self, consumer: GaplessConsumer) -> bool:
        """Whether a record waits or awaits its commit (a transaction marker is no record)."""
        for tp in consumer.assignment():
            last = self.positions.get((tp.topic, tp.partition))
            if tp.topic not in self.feeds or last is None:
                continue
            if last + 1 > (consumer.committed_offset(tp) or 0):
                return True
            highwater = consumer.highwater(tp)
            if highwater is not None and highwater > last + 1:
                where = TopicPartition(tp.topic, tp.partition)
                if await self.probe.first_record(where, last + 1, highwater) is not None:
                    return True
        return False


def stalled(behind: int, progressed_at: float, now: float, limit_s: float) -> bool:
    """Records wait or await their commit, yet nothing moved for `limit_s`: stuck."""
    return behind > 0 and now - progressed_at > limit_s
