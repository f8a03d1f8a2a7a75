"""The agent takes a record of a run only while the group's generation holds: the check comes
after the last await before `take`, so a rebalance that begins meanwhile leaves it untaken."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

from faust.types import TP

from processors.agents import _take

GENERATION = 7


class _App:
    """What `_take` reads of the app: its rebalance state, generation, flow and consumer."""

    def __init__(self) -> None:
        self.rebalancing = False
        self.consumer_generation_id = GENERATION
        self.flow_control = SimpleNamespace(is_active=lambda: True)
        self.consumer = _Consumer()


class _Consumer:
    def __init__(self) -> None:
        self.taken: list[int] = []
        self.sought: list[dict[Any, int]] = []

    def take(self, message: SimpleNamespace) -> None:
        self.taken.append(message.offset)

    async def seek_wait(self, where: dict[Any, int]) -> None:
        self.sought.append(where)


class _Deriver:
    """Records what was handled; `on_missing_check` runs while the agent awaits Kafka."""

    def __init__(self, on_missing_check: Any = None, missing: dict[int, int] | None = None):
        self.handled: list[int] = []
        self.refetched = 0
        self.metrics = SimpleNamespace(refetched=SimpleNamespace(inc=self._refetched))
        self.resumes = SimpleNamespace(missing_before=self._missing_before)
        self.on_missing_check = on_missing_check
        self.missing = missing or {}

    def _refetched(self) -> None:
        self.refetched += 1

    async def _missing_before(self, message: SimpleNamespace, _consumer: Any) -> int | None:
        await asyncio.sleep(0)  # the offsets may come from the broker
        if self.on_missing_check is not None:
            self.on_missing_check(message)
        return self.missing.get(message.offset)

    async def handle(self, message: SimpleNamespace) -> int:
        self.handled.append(message.offset)
        return message.offset


def _run(*offsets: int, generation: int = GENERATION) -> list[SimpleNamespace]:
    tp = TP("sportsfeed.raw.actions", 0)
    return [
        SimpleNamespace(tp=tp, topic=tp.topic, partition=0, offset=offset, generation_id=generation)
        for offset in offsets
    ]


async def _taken(app: _App, deriver: _Deriver, run: list[SimpleNamespace]) -> list[int]:
    in_flight: asyncio.Queue[Any] = asyncio.Queue()
    await _take(cast(Any, app), cast(Any, deriver), cast(Any, run), in_flight)
    assert deriver.handled == app.consumer.taken  # handled exactly what was taken
    return [in_flight.get_nowait() for _ in range(in_flight.qsize())]


async def test_every_record_of_a_current_run_is_taken_in_order() -> None:
    app, deriver = _App(), _Deriver()
    assert await _taken(app, deriver, _run(3, 4, 5)) == [3, 4, 5]
    assert deriver.refetched == 0


async def test_a_rebalance_beginning_while_the_agent_awaits_kafka_leaves_the_record_untaken() -> (
    None
):
    app = _App()

    def rebalance_at_4(message: SimpleNamespace) -> None:
        if message.offset == 4:
            app.rebalancing = True  # the consumer's thread starts the rebalance meanwhile

    deriver = _Deriver(on_missing_check=rebalance_at_4)
    assert await _taken(app, deriver, _run(3, 4, 5)) == [3]
    assert deriver.refetched == 2  # 4 and 5 come again after the rebalance's seek


async def test_a_run_fetched_in_an_older_generation_is_not_taken() -> None:
    app, deriver = _App(), _Deriver()
    assert await _taken(app, deriver, _run(3, 4, generation=GENERATION - 1)) == []
    assert deriver.refetched == 2


async def test_records_are_not_taken_while_the_flow_is_suspended() -> None:
    app, deriver = _App(), _Deriver()
    app.flow_control = SimpleNamespace(is_active=lambda: False)
    assert await _taken(app, deriver, _run(3)) == []


async def test_a_missing_record_is_fetched_again_and_the_rest_of_its_partition_skipped() -> None:
    app, deriver = _App(), _Deriver(missing={5: 4})  # 4 was not processed before 5
    assert await _taken(app, deriver, _run(3, 5, 6)) == [3]
    assert app.consumer.sought == [{TP("sportsfeed.raw.actions", 0): 4}]
