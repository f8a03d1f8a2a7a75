"""Offsets a raw partition holds no record at, learned from what the fetcher skipped.

The producers write the raw topics in transactions, and every transaction leaves a marker in
each partition it wrote to: an offset the consumer skips and nobody acknowledges. Faust commits
only a run of consecutive acknowledged offsets, so without knowing the markers its commits
advance by one transaction per commit interval, and stop for good at two adjacent markers (a
producer killed between registering a partition and writing to it).

The fetcher hands over every record from its position on, in order; so between two positions
of a partition with no seek in between, each offset not handed over is no record. Learning
this costs nothing; `sportsfeed.core.markers` reads the partition for the rest (after a rebalance).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def skipped(start: int, end: int, records: Iterable[int]) -> list[int]:
    """The offsets in [start, end) that are not among `records` (all handed over in between)."""
    handed = set(records)
    return [offset for offset in range(start, end) if offset not in handed]


class Markers:
    """Offsets known to hold no record, per partition (learned in the consumer's thread, read
    in the app's)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offsets: dict[tuple[str, int], set[int]] = {}

    def add(self, topic: str, partition: int, offsets: Iterable[int]) -> None:
        with self._lock:
            self._offsets.setdefault((topic, partition), set()).update(offsets)

    def cover(self, topic: str, partition: int, start: int, end: int) -> bool:
        """Whether every offset in [start, end) is known to hold no record."""
        with self._lock:
            known = self._offsets.get((topic, partition), set())
            return all(offset in known for offset in range(start, end))

    def between(self, topic: str, partition: int, start: int, end: int) -> list[int]:
        """The known ones in [start, end)."""
        with self._lock:
            known = self._offsets.get((topic, partition), set())
            return [offset for offset in known if start <= offset < end]

    def forget_below(self, topic: str, partition: int, offset: int) -> None:
        """Committed past: never asked about again."""
        with self._lock:
            known = self._offsets.get((topic, partition))
            if known:
                known.difference_update([o for o in known if o < offset])


class Learner:
    """Watches one aiokafka consumer's positions, in its thread, and tells `markers` the offsets
    its fetches skipped in the partitions of the topics `wanted`.

    A position is trusted only from one fetch to the next of the same assignment: a seek sets
    it anew (the fetcher resumes exactly there), a new assignment forgets it.
    """

    def __init__(self, markers: Markers, wanted: Callable[[str], bool]) -> None:
        self.markers, self.wanted = markers, wanted
        self._read_to: dict[Any, tuple[Any, int]] = {}  # per partition: (its state, position)

    def watch(self, consumer: Any) -> None:
        """Note every seek of `consumer` (aiokafka's fetcher seeks through its subscription)."""
        subscriptions = consumer._subscription
        seek = subscriptions.seek

        def seek_noted(tp: Any, offset: int) -> None:
            seek(tp, offset)
            self._read_to[tp] = (subscriptions._assigned_state(tp), offset)

        subscriptions.seek = seek_noted

    def fetched(self, consumer: Any, records: Mapping[Any, list[Any]]) -> None:
        """After a fetch returned `records`: learn what it skipped since the last one."""
        assignment = consumer._subscription.subscription
        assignment = assignment.assignment if assignment is not None else None
        if assignment is None:
            self._read_to.clear()
            return
        for tp in assignment.tps:
            if not self.wanted(tp.topic):
                continue
            state = assignment.state_value(tp)
            if not state.has_valid_position:
                self._read_to.pop(tp, None)
                continue
            position = state.position
            before = self._read_to.get(tp)
            if before is not None and before[0] is state and before[1] < position:
                handed = (record.offset for record in records.get(tp, ()))
                self.markers.add(tp.topic, tp.partition, skipped(before[1], position, handed))
            self._read_to[tp] = (state, position)
