"""Stopping the producer while its timer is committing the open transaction waits for that
commit instead of cutting it short and committing again (which Kafka's client refuses: the
producer then ended reporting that Kafka had not acknowledged a record)."""

from __future__ import annotations

import asyncio
from typing import Any

from producers.publisher import Publisher
from sportsfeed.core.kafka_clients import Endpoints


class SlowCommits:
    """Stands in for aiokafka's transactional producer: a commit takes a while and goes on
    even if its caller stops waiting (aiokafka shields it); a second commit begun meanwhile
    is refused, as aiokafka refuses it."""

    def __init__(self) -> None:
        self.committing = asyncio.Event()  # set while a commit is under way
        self.commits = 0

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def begin_transaction(self) -> None:
        pass

    async def send(self, *_args: Any, **_kwargs: Any) -> asyncio.Future[Any]:
        acked: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        acked.set_result(None)
        return acked

    async def commit_transaction(self) -> None:
        if self.committing.is_set():
            raise AssertionError("Invalid state transition COMMITTING -> COMMITTING")
        self.committing.set()
        await asyncio.shield(self._finish())

    async def _finish(self) -> None:
        await asyncio.sleep(0.05)
        self.commits += 1
        self.committing.clear()


async def test_a_stop_during_a_commit_waits_for_it() -> None:
    nowhere = Endpoints("127.0.0.1:1", "http://127.0.0.1:1")
    publisher = Publisher(nowhere, 10, 120.0, "t.producer-0", transaction_s=0.01)
    await publisher.stop()  # its aiokafka producer, never started: the test's stands in for it
    kafka = SlowCommits()
    publisher._producer = kafka  # type: ignore[assignment]
    await publisher.start()
    await publisher.publish("t", b"k", b"v", [])
    await asyncio.wait_for(kafka.committing.wait(), 5)  # the timer's commit is under way
    await publisher.stop()
    assert kafka.commits == 1
    assert not kafka.committing.is_set()
    assert not publisher.failed.done()
