"""Producer, step 3: hand frames to Kafka in order, bounded, and never lose one silently.

One idempotent aiokafka producer with acks=all for every stream. At most `max_unacked`
records may wait for acknowledgement: past that, `publish` waits, the stream readers stop
reading, and the websockets' own flow control holds the vendor back. A record Kafka could not
take within the outage limit is fatal: the process ends with an error and, restarted,
resumes from what Kafka really holds (see `producers.recovery`).
"""

from __future__ import annotations

import asyncio
import itertools
import time

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError, RecordTooLargeError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import RecordMetadata

from infra.stack import Endpoints
from sportsfeed.errors import InfrastructureError
from sportsfeed.limits import REQUEST_LIMIT

Headers = list[tuple[str, bytes]]


class KafkaUnavailable(InfrastructureError):
    """Kafka did not take a record within the outage limit."""


class KeyPartitioner:
    """Kafka's default partitioning (murmur2 of the key), remembered per key.

    aiokafka computes murmur2 in pure Python on every send; a producer sends many frames for
    few keys (fixtures), so the answer is cached. Same partitions as every Kafka client.
    """

    def __init__(self) -> None:
        self._default = DefaultPartitioner()
        self._known: dict[tuple[bytes, int], int] = {}

    def __call__(self, key: bytes, all_partitions: list[int], available: list[int]) -> int:
        found = self._known.get((key, len(all_partitions)))
        if found is None:
            found = self._default(key, all_partitions, available)
            self._known[key, len(all_partitions)] = found
        return found


class Publisher:
    def __init__(self, endpoints: Endpoints, max_unacked: int, outage_limit_s: float) -> None:
        self._producer = AIOKafkaProducer(
            **endpoints.kafka(),
            acks="all",
            enable_idempotence=True,
            linger_ms=0,  # batches still form while a request is in flight
            # idempotence allows one batch in flight per partition: batches must be large,
            # or every stream queues behind 16 KB batches of a few frames each
            max_batch_size=512 * 1024,
            request_timeout_ms=int(outage_limit_s * 1000),
            partitioner=KeyPartitioner(),
            retry_backoff_ms=200,
            client_id="sportsfeed-producer",
            max_request_size=REQUEST_LIMIT,  # set on purpose: sportsfeed.limits
        )
        self._slots = asyncio.Semaphore(max_unacked)
        # send time of each record awaiting its ack, in send order: the first is the oldest
        self._sent_at: dict[int, float] = {}
        self._tickets = itertools.count()
        self._failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def failed(self) -> asyncio.Future[None]:
        """Completes with KafkaUnavailable when any record could not be delivered."""
        return self._failed

    def oldest_unacked_s(self) -> float:
        """How long the oldest record awaiting Kafka's ack has waited (0 when none)."""
        now = time.monotonic()
        return now - next(iter(self._sent_at.values()), now)

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        """Flush what is pending, then close."""
        await self._producer.stop()

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: Headers
    ) -> asyncio.Future[RecordMetadata]:
        """Queue one record behind the ones before it; the future is its acknowledgement."""
        await self._slots.acquire()
        ticket = next(self._tickets)
        self._sent_at[ticket] = time.monotonic()
        try:
            delivery: asyncio.Future[RecordMetadata] = await self._producer.send(
                topic, value, key=key, headers=headers
            )
        except Exception as exc:
            self._slots.release()
            del self._sent_at[ticket]
            self._fail(topic, exc)
            raise KafkaUnavailable(f"Kafka refused a record for {topic}: {exc}") from exc
        delivery.add_done_callback(lambda done: self._settle(topic, ticket, done))
        return delivery

    def _settle(self, topic: str, ticket: int, delivery: asyncio.Future[RecordMetadata]) -> None:
        self._slots.release()
        del self._sent_at[ticket]
        if not delivery.cancelled() and delivery.exception() is not None:
            self._fail(topic, delivery.exception())

    def _fail(self, topic: str, exc: BaseException | None) -> None:
        if not self._failed.done():
            self._failed.set_exception(KafkaUnavailable(_failure(topic, exc)))


def _failure(topic: str, exc: BaseException | None) -> str:
    """Why the producer ends, naming the real cause when Kafka said it."""
    said = f"Kafka did not acknowledge a record for {topic} ({exc!r}); ending so that a restart "
    said += "resumes from what Kafka holds. "
    if isinstance(exc, MessageSizeTooLargeError | RecordTooLargeError):
        limit = f"{REQUEST_LIMIT:,}"
        return said + f"The record is too large: `sportsfeed topics` sets max.message.bytes {limit}"
    return said + "Is the cluster reachable? See SPORTSFEED_KAFKA_OUTAGE_LIMIT_S."
