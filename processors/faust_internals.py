"""Processor (I/O): the private Faust names the processor's shell touches, each with its reason.

Faust offers no public way to do these; a Faust upgrade that renames one breaks it here, in
one place. The rest are the consumer's own private methods, overridden where the processor
changes what Faust does, and listed here so an upgrade knows where to look:

- gapless.py, commits: `_add_gap`, `_new_offset`, `_acked`, `_acked_index`,
  `_committed_offset` (Faust's gap bookkeeping skips commits after a rebalance),
  `_unacked_messages` (a record taken from a run is awaited), `_new_transport`,
  `_new_consumer_thread` (install the consumer), `_rebalancing_sensor_state` (no Monitor);
- handover.py, the hand-over: `_drain_messages`, `_read_offset`, `_stopped` (a task switch
  per record otherwise);
- fetching.py and skipped.py, the fetcher's thread: `_create_worker_consumer`,
  `_fetch_records` (transaction markers learned as fetched), `seek_to_committed` (partitions
  with nothing committed read again after a rebalance), aiokafka's `_fetch_max_wait_ms` (no
  public setter) and `_subscription` (the fetcher's positions).
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable
from types import SimpleNamespace
from typing import Any

import faust
from faust.streams import _current_event
from faust.types import TableT


class Outlet:
    """Sends straight to the app's aiokafka producer, and writes a table's store and changelog."""

    def __init__(self, app: faust.App, table: TableT[bytes, bytes]) -> None:
        self.app, self.table = app, table
        self._readers: dict[int, _PartitionReader] = {}  # kept: the context holds weakrefs

    async def send(
        self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]] | None
    ) -> Awaitable[Any]:
        """Hand a record to the app's aiokafka producer (Faust flushes it before every commit).

        Straight to aiokafka, not through `Topic.send` nor Faust's producer: a third of the
        agent's time went to Faust's per-message wrappers, and a sink would drop the key.
        """
        sent: Awaitable[Any] = await aiokafka_producer(self.app).send(
            topic, value, key=key, headers=headers
        )
        return sent

    async def store(self, partition: int, key: bytes, state: bytes) -> Awaitable[Any]:
        """Write a fixture's state to the table's store and send its changelog record.

        Faust's own table write queues the changelog record in a buffer drained one record
        per event-loop turn, each acknowledgement writing RocksDB's persisted offset; under
        load the buffer fell thousands of records behind and then stopped the hand-over of
        new records until it drained (outputs seconds late). Here the record goes to the
        producer at once, as Faust would have written it (raw key and value, the partition of
        the records it came from), and the persisted offset is written once per partition and
        batch.
        """
        self.reading_partition(partition)  # the store writes to that partition too
        self.table.data[key] = state
        topic = self.table.changelog_topic.get_topic_name()
        sent: Awaitable[Any] = await aiokafka_producer(self.app).send(
            topic, state, key=key, partition=partition
        )
        return sent

    def reading_partition(self, partition: int) -> None:
        """Table reads and writes after this go to `partition`: Faust takes the partition of a
        table access from the event its agent is processing (a private context variable), and
        the agent's events are runs of records, so each record's partition is set here."""
        reader = self._readers.get(partition)
        if reader is None:
            reader = self._readers[partition] = _PartitionReader(partition)
        _current_event.set(weakref.ref(reader))  # type: ignore[arg-type]  # duck-typed


class _PartitionReader:
    """What Faust's store reads of the current event: `event.message.partition`."""

    def __init__(self, partition: int) -> None:
        self.message = SimpleNamespace(partition=partition)


def aiokafka_producer(app: faust.App) -> Any:
    """The app's aiokafka producer, for sends without Faust's per-message wrappers."""
    return app.producer._ensure_producer()  # type: ignore[attr-defined]


def rocksdb_partitions(table: TableT[bytes, bytes]) -> dict[Any, Any]:
    """The open RocksDB databases of a table, per partition: Faust's RocksDB store keeps them
    in `_dbs` (no public accessor); the memory store has none."""
    dbs: dict[Any, Any] = getattr(table.data, "_dbs", {})
    return dbs


def recovered(app: faust.App) -> bool:
    """Whether the tables' recovery has completed (the recovery service is untyped)."""
    return bool(app.tables.recovery.completed.is_set())  # type: ignore[attr-defined]
