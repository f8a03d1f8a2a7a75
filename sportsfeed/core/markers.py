"""Offsets that hold no record: the producers write the raw topics in transactions.

Each committed (or aborted) transaction leaves a marker in every partition it wrote to: an
offset no consumer is ever handed. So offset N may be followed by N+2, and a partition whose
last record is followed by a marker has an end offset one past what a consumer can commit.
These questions are answered by reading the partition with a consumer of our own, from the
offset in question up to the end as it is now.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition

from sportsfeed.core.kafka_clients import Endpoints

_POLL_MS = 200
_TAIL = 16  # offsets read back from the end to find the last record (a marker follows a record)


class RecordProbe:
    """Where a partition's records are, as a consumer sees them (markers skipped).

    Reads uncommitted records, as the processors do: an aborted transaction's records are
    records to them (repeats they drop), only markers are not.
    """

    def __init__(self, endpoints: Endpoints) -> None:
        self._endpoints = endpoints
        self._consumer: AIOKafkaConsumer | None = None

    async def _reader(self, tp: TopicPartition) -> AIOKafkaConsumer:
        if self._consumer is None:
            self._consumer = AIOKafkaConsumer(
                **self._endpoints.kafka(enable_auto_commit=False, client_id="sportsfeed-probe")
            )
            await self._consumer.start()
        self._consumer.assign([tp])
        return self._consumer

    async def first_record(self, tp: TopicPartition, offset: int, before: int) -> int | None:
        """The offset of the first record from `offset` on and before `before`; None if only
        markers lie in between."""
        offsets = await self._offsets(tp, offset, before, stop_at_first=True)
        return offsets[0] if offsets else None

    async def log_start(self, tp: TopicPartition) -> int:
        """The partition's first offset still held (where `earliest` starts reading)."""
        consumer = await self._reader(tp)
        return int((await consumer.beginning_offsets([tp]))[tp])

    async def end_of_records(self, tp: TopicPartition, start: int, end: int) -> int:
        """The offset after the last record before `end` (`start` if none from `start` on)."""
        back = max(start, end - _TAIL)
        while True:
            offsets = await self._offsets(tp, back, end, stop_at_first=False)
            if offsets or back == start:
                return offsets[-1] + 1 if offsets else start
            back = max(start, back - _TAIL)

    async def _offsets(
        self, tp: TopicPartition, offset: int, end: int, *, stop_at_first: bool
    ) -> list[int]:
        """Offsets of the records in [offset, end)."""
        consumer = await self._reader(tp)
        consumer.seek(tp, offset)
        found: list[int] = []
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=_POLL_MS)
            found += [m.offset for m in batch.get(tp, []) if m.offset < end]
            if found and stop_at_first:
                break
        return found

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
