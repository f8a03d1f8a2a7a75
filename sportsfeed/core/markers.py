"""Offsets that hold no record: the producers write the raw topics in transactions.

Each committed (or aborted) transaction leaves a marker in every partition it wrote to: an
offset no consumer is ever handed. So offset N may be followed by N+2, and a partition whose
last record is followed by a marker has an end offset one past what a consumer can commit.
These questions are answered by reading the partition with a consumer of our own, from the
offset in question up to the end as it is now.
"""

from __future__ import annotations

from collections.abc import Collection

from aiokafka import AIOKafkaConsumer, TopicPartition

from sportsfeed.core.kafka_clients import Endpoints

_POLL_MS = 200
_FETCH_WAIT_MS = 20  # the most a fetch still in flight delays the probe's next request
_TAIL = 16  # offsets read back from the end to find the last record (a marker follows a record)


class RecordProbe:
    """Where a partition's records are, as a consumer sees them (markers skipped).

    Reads uncommitted records, as the processors do: an aborted transaction's records are
    records to them (repeats they drop), only markers are not.

    Its consumer reads one partition at a time, and only while a question needs it: a broker
    answers one connection's requests in turn, so a fetch left waiting at a partition's end
    (for `fetch_max_wait_ms`) would hold up the next question's request for as long.
    """

    def __init__(self, endpoints: Endpoints) -> None:
        self._endpoints = endpoints
        self._consumer: AIOKafkaConsumer | None = None

    async def _started(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            self._consumer = AIOKafkaConsumer(
                **self._endpoints.kafka(
                    enable_auto_commit=False,
                    client_id="sportsfeed-probe",
                    fetch_max_wait_ms=_FETCH_WAIT_MS,
                )
            )
            await self._consumer.start()
        return self._consumer

    async def first_record(self, tp: TopicPartition, offset: int, before: int) -> int | None:
        """The offset of the first record from `offset` on and before `before`; None if only
        markers lie in between."""
        offsets = await self._offsets(tp, offset, before, stop_at_first=True)
        return offsets[0] if offsets else None

    async def log_starts(self, tps: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        """The partitions' first offsets still held (where `earliest` starts reading), asked
        in one request."""
        if not tps:
            return {}
        consumer = await self._started()
        found = await consumer.beginning_offsets(list(tps))
        return {tp: int(offset) for tp, offset in found.items()}

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
        consumer = await self._started()
        consumer.assign([tp])
        consumer.seek(tp, offset)
        found: list[int] = []
        try:
            while await consumer.position(tp) < end:
                batch = await consumer.getmany(tp, timeout_ms=_POLL_MS)
                found += [m.offset for m in batch.get(tp, []) if m.offset < end]
                if found and stop_at_first:
                    break
        finally:
            consumer.pause(tp)  # no fetch of it waiting in the way of the next question
        return found

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
