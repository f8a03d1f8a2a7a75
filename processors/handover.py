"""Faust's hand-over of fetched records to the agents, without a task switch per record.

Faust's fetcher passes each record to the agents' channels inside `wait_first(callback,
suspend_flow.wait())`, which creates two tasks and suspends the fetcher on every record. The
agent then gets one event, processes it, finds its channel empty and suspends too; the
producer's sender wakes for that one event's outputs and writes them in a produce request of
their own. So every record paid two task creations, three task switches and a produce request
(a profile of a replay: a quarter of the worker's CPU on Faust's per-event hand-off, a fifth
on writing produce requests).

Here the raw topics' records go to the agent in runs (`Runs`): up to `HANDOVER_BATCH`
records fetched together are one Faust event in the agent's channel, and the fetcher then
yields to the loop. Faust's per-record conductor (decoding, an event, a channel put, flow
control) and stream (the event's iteration, sensors, tracking) are paid once per run; the
agent processes the run in one turn, and its outputs leave together in one produce request
per partition. Any other topic's records are handed over one at a time, the callback awaited
directly while the flow runs (it then completes without suspending unless the channel is
full). While the flow is suspended (a rebalance) a record or run is handed over as Faust does,
abandoned if the rebalance starts first; a run that reaches the agent once a rebalance began
is left untaken, record by record (processors/agents.py `_current`), and fetched again from
the committed offsets.

Faust's offset-gap bookkeeping is left out: `GaplessConsumer` disables it (see gapless.py).
So is its commit every `broker_commit_every` records from inside the hand-over, which held up
the records behind it for a commit's flush and round trip; the commit timer (every
`broker_commit_interval`) still commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import faust
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import ChannelT, Message

HANDOVER_BATCH = 100  # records handed over between two yields to the loop (as Faust does)
RUN_TOPIC = "(a run of raw records)"  # the stand-in message's topic: none of Kafka's


class HandoverConsumer(faust_aiokafka.Consumer):
    """Faust's consumer, handing over fetched records in runs rather than one per task switch."""

    async def _drain_messages(self, fetcher: Any) -> None:  # the Fetcher's task
        consumer_stopped, fetcher_stopped = self._stopped.is_set, fetcher._stopped.is_set
        try:
            while not (consumer_stopped() or fetcher_stopped()):
                self.diag.set_flag(CONSUMER_FETCHING)
                await self.sleep(0)  # getmany may return at once, again and again
                if not self.should_stop:
                    await self._hand_over(self.getmany(timeout=1.0))
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if not self.transport.app.should_stop:
                raise
            self.log.info("Broker stopped consumer, shutting down...")
        except asyncio.CancelledError:
            if not self.transport.app.should_stop:
                raise
            self.log.info("Consumer shutting down for user cancel.")
        except Exception:
            self.log.exception("Drain messages raised")
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)

    runs: Runs | None = None  # where the raw topics' records go, a run at a time (the app's)

    async def _hand_over(self, fetched: Any) -> None:
        """Pass each fetched record on, in order, once per offset: the raw topics' records to
        `runs` in runs, any other topic's (a table's changelog) to Faust's agents one by one."""
        callback, read_offset, suspended = self.callback, self._read_offset, self.suspend_flow
        runs = self.runs
        run: list[Any] = []
        handed = 0
        set_here: dict[Any, int] = {}  # the read position this run last set, per partition
        async for tp, message in fetched:
            last = read_offset[tp]
            if tp in set_here and last != set_here[tp]:
                # Sought meanwhile (the agent asked for a skipped record again, or a rebalance
                # reset the position): the rest of this fetch is from before the seek. Handed
                # over, it would set the read position past the records fetched again, which
                # would then be dropped as seen, and the partition's commits stop for good.
                continue
            if last is not None and message.offset < last:
                continue  # fetched before a seek back, and handed over already (as Faust)
            if runs is not None and tp.topic in runs.topics:
                run.append(message)
            elif suspended.is_set():
                await self.wait_first(callback(message), suspended.wait())
            else:
                await callback(message)
            if read_offset[tp] == last:  # not sought while the record was being handed over
                read_offset[tp] = message.offset
            set_here[tp] = message.offset
            handed += 1
            if handed % HANDOVER_BATCH == 0:
                await self._pass_on(run)
                run = []
                await asyncio.sleep(0)
        await self._pass_on(run)

    async def _pass_on(self, run: list[Any]) -> None:
        """Hand a run to the agent; while the flow is suspended (a rebalance), abandoned if the
        rebalance starts first: its records were not taken, so they are fetched again."""
        if not run or self.runs is None:
            return
        if self.suspend_flow.is_set():
            await self.wait_first(self.runs.put(run), self.suspend_flow.wait())
        else:
            await self.runs.put(run)


class Runs:
    """The raw topics' records on their way to the agent: a Faust channel of runs, one event
    per run of up to `HANDOVER_BATCH` records, instead of one event per record.

    The event's own message is a stand-in for the run, on no topic Faust acknowledges: Faust's
    stream would track and acknowledge an event's message, and the agent takes and
    acknowledges each record of the run itself, or leaves it untaken (to be fetched again).
    The stand-in carries the records' consumer generation, so Faust's stream drops a run
    fetched before a rebalance, as it drops a record.
    """

    def __init__(self, app: faust.App, topics: Iterable[str], maxsize: int) -> None:
        self.app = app
        self.topics = frozenset(topics)
        self.channel: ChannelT[list[Message]] = app.channel(maxsize=maxsize)

    async def put(self, run: list[Message]) -> None:
        first = run[0]
        generation = first.generation_id
        stand_in = Message(RUN_TOPIC, -1, -1, first.timestamp, 0, None, None, None, None)
        stand_in.generation_id = generation
        await self.channel.put(self.app.create_event(None, run, None, stand_in))
