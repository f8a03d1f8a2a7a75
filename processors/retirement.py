"""Processor (pure): when a finished fixture's state shrinks to what drops its late repeats.

A finished fixture's state is retired `ttl_s` after it finished (or after a start, for those
found finished in the table). A table write needs the partition its key belongs to, so the
due fixtures are kept per partition and retired while a batch of that partition is stored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field

from processors.derive.fixture import decode_state, encode_state, retire
from sportsfeed.core.kafka_clients import partition_of


@dataclass
class Retirements:
    """Finished fixtures waiting to shrink, per partition (a table write needs its partition)."""

    ttl_s: float
    partitions: int
    due: dict[int, deque[tuple[float, bytes]]] = field(default_factory=dict)
    scanned: set[int] = field(default_factory=set)

    def partition_of(self, key: bytes) -> int:
        return partition_of(key, self.partitions)

    def add(self, key: bytes, now: float) -> None:
        self.due.setdefault(self.partition_of(key), deque()).append((now + self.ttl_s, key))

    def take_due(self, partition: int, now: float) -> list[bytes]:
        queue = self.due.get(partition)
        keys = []
        while queue and queue[0][0] <= now:
            keys.append(queue.popleft()[1])
        return keys

    def retired(
        self, partition: int, table: Mapping[bytes, bytes], working: Container[bytes], now: float
    ) -> list[tuple[bytes, bytes]]:
        """The retired states of the partition's finished fixtures now due (`table` read in
        that partition; a fixture still `working`, derived from but not stored, is skipped)."""
        if partition not in self.scanned:
            self.scan_finished(partition, table.items(), now)
        retired = []
        for key in self.take_due(partition, now):
            stored = table.get(key)
            if stored is not None and key not in working:
                retired.append((key, encode_state(retire(decode_state(stored)))))
        return retired

    def scan_finished(
        self, partition: int, stored: Iterable[tuple[bytes, bytes]], now: float
    ) -> None:
        """After a start: queue this partition's finished fixtures that are not retired yet."""
        self.scanned.add(partition)
        for key, value in stored:
            if self.partition_of(key) == partition:
                state = decode_state(value)
                if state.finished and not state.retired:
                    self.add(key, now)
