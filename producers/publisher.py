"""Producer, step 3: hand frames to Kafka in order, bounded, and never lose one silently.

One transactional aiokafka producer with acks=all for every stream. At most `max_unacked`
records may wait for acknowledgement: past that, `publish` waits, the stream readers stop
reading, and the websockets' own flow control holds the vendor back. A record Kafka could not
take within the outage limit is fatal: the process ends with an error and, restarted,
resumes from what Kafka really holds (see `producers.recovery`).

One writer per shard, enforced by Kafka: the transactional id is the shard's
(`<prefix>producer-<index>`), so a second producer for the shard fences the first when it
starts (the broker aborts the first one's open transaction and refuses its later writes, and
it ends). Records are committed every `transaction_s`; readers that must see each frame once
read with isolation level read_committed.

Each commit holds back the frames that arrive while it completes, and a little longer: the
next transaction's first write to a partition is refused until the broker has finished the
last commit's markers (CONCURRENT_TRANSACTIONS), and aiokafka asks again 20 ms later. With a
commit every 100 ms one Kafka hop's p99 was 24-25 ms, against 9 ms with a commit every 500 ms
(bench/NOTES.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidProducerEpoch,
    MessageSizeTooLargeError,
    ProducerFenced,
    RecordTooLargeError,
)
from aiokafka.structs import RecordMetadata

from sportsfeed.core.errors import InfrastructureError
from sportsfeed.core.kafka_clients import Endpoints, KeyPartitioner
from sportsfeed.core.limits import BATCH_LIMIT, REQUEST_LIMIT
from sportsfeed.core.setting_types import Shard

Headers = list[tuple[str, bytes]]
_TRANSACTION_MAX_MS = 900_000  # Kafka's default transaction.max.timeout.ms


def transactional_id(topic_prefix: str, shard: Shard) -> str:
    """The shard's producer identity: one writer per INDEX, whatever the COUNT."""
    return f"{topic_prefix}producer-{shard.index}"


class KafkaUnavailable(InfrastructureError):
    """Kafka did not take a record within the outage limit."""


class Fenced(InfrastructureError):
    """Another producer took this shard's transactional id: Kafka refuses our writes."""


class Publisher:
    def __init__(
        self,
        endpoints: Endpoints,
        max_unacked: int,
        outage_limit_s: float,
        identity: str,
        transaction_s: float,
    ) -> None:
        self._identity = identity
        self._transaction_s = transaction_s
        self._producer = AIOKafkaProducer(
            **endpoints.kafka(),
            acks="all",
            enable_idempotence=True,
            transactional_id=identity,
            # an outage must not abort the open transaction before the outage limit ends us
            transaction_timeout_ms=min(int(outage_limit_s * 1000) + 30_000, _TRANSACTION_MAX_MS),
            linger_ms=0,  # batches still form while a request is in flight
            max_batch_size=BATCH_LIMIT,  # a batch per partition per request: sportsfeed.core.limits
            request_timeout_ms=int(outage_limit_s * 1000),
            partitioner=KeyPartitioner(),
            retry_backoff_ms=200,
            client_id="sportsfeed-producer",
            max_request_size=REQUEST_LIMIT,  # set on purpose: sportsfeed.core.limits
        )
        self._slots = asyncio.Semaphore(max_unacked)
        # send time of each record awaiting its ack, in send order: the first is the oldest
        self._sent_at: dict[int, float] = {}
        self._tickets = itertools.count()
        self._failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._transaction = asyncio.Lock()  # held to send into, or to commit, the open one
        self._uncommitted = 0
        self._committer: asyncio.Task[None] | None = None

    @property
    def failed(self) -> asyncio.Future[None]:
        """Completes with KafkaUnavailable when any record could not be delivered."""
        return self._failed

    def oldest_unacked_s(self) -> float:
        """How long the oldest record awaiting Kafka's ack has waited (0 when none)."""
        now = time.monotonic()
        return now - next(iter(self._sent_at.values()), now)

    async def start(self) -> None:
        """Connect as the shard's producer (fencing any other) and open a transaction."""
        await self._producer.start()
        await self._producer.begin_transaction()
        self._committer = asyncio.create_task(self._commit_every(self._transaction_s))

    async def stop(self) -> None:
        """Commit what is pending, then close.

        A commit the timer has under way finishes first: cancelled in the middle, it would go
        on inside aiokafka, which then refuses the closing commit.
        """
        try:
            async with self._transaction:  # the timer is asleep or waiting, never committing
                if self._committer is not None:
                    self._committer.cancel()
                if not self._failed.done():
                    await self._commit_open(begin_next=False)
        finally:
            await self._producer.stop()

    async def _commit_every(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            with contextlib.suppress(InfrastructureError):  # `failed` tells the owner
                async with self._transaction:
                    await self._commit_open(begin_next=True)

    async def _commit_open(self, *, begin_next: bool) -> None:
        """Commit the open transaction (the caller holds `_transaction`)."""
        if self._uncommitted == 0:
            return
        try:
            await self._producer.commit_transaction()
            self._uncommitted = 0
            if begin_next:
                await self._producer.begin_transaction()
        except Exception as exc:
            self._fail("the transaction", exc)
            raise self._failed.exception() from exc  # type: ignore[misc]

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: Headers
    ) -> asyncio.Future[RecordMetadata]:
        """Queue one record behind the ones before it; the future is its acknowledgement."""
        await self._slots.acquire()
        ticket = next(self._tickets)
        self._sent_at[ticket] = time.monotonic()
        try:
            async with self._transaction:
                delivery: asyncio.Future[RecordMetadata] = await self._producer.send(
                    topic, value, key=key, headers=headers
                )
                self._uncommitted += 1
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
        if self._failed.done():
            return
        if isinstance(exc, ProducerFenced | InvalidProducerEpoch):
            self._failed.set_exception(
                Fenced(
                    f"another producer started as {self._identity} (the same shard) and Kafka "
                    "fenced this one: it stops writing and ends. Does SPORTSFEED_SHARD give "
                    "each producer its own INDEX?"
                )
            )
        else:
            self._failed.set_exception(KafkaUnavailable(_failure(topic, exc)))


def _failure(topic: str, exc: BaseException | None) -> str:
    """Why the producer ends, naming the real cause when Kafka said it."""
    said = f"Kafka did not acknowledge a record for {topic} ({exc!r}); ending so that a restart "
    said += "resumes from what Kafka holds. "
    if isinstance(exc, MessageSizeTooLargeError | RecordTooLargeError):
        limit = f"{REQUEST_LIMIT:,}"
        return said + f"The record is too large: `sportsfeed topics` sets max.message.bytes {limit}"
    return said + "Is the cluster reachable? See SPORTSFEED_KAFKA_OUTAGE_LIMIT_S."
