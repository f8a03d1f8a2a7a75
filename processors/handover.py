"""Faust's hand-over of fetched records to the agents, without a task switch per record.

Faust's fetcher passes each record to the agents' channels inside `wait_first(callback,
suspend_flow.wait())`, which creates two tasks and suspends the fetcher on every record. The
agent then gets one event, processes it, finds its channel empty and suspends too; the
producer's sender wakes for that one event's outputs and writes them in a produce request of
their own. So every record paid two task creations, three task switches and a produce request
(a profile of a replay: a quarter of the worker's CPU on Faust's per-event hand-off, a fifth
on writing produce requests).

Here the callback is awaited directly while the flow runs (it then completes without
suspending unless the channel is full), and the fetcher yields to the loop every
`HANDOVER_BATCH` records: the agent processes that many records in one turn, and their outputs
leave together in one produce request per partition. While the flow is suspended (a
rebalance) a record is handed over as Faust does, abandoned if the rebalance starts first.

Faust's offset-gap bookkeeping is left out: `GaplessConsumer` disables it (see gapless.py).
So is its commit every `broker_commit_every` records from inside the hand-over, which held up
the records behind it for a commit's flush and round trip; the commit timer (every
`broker_commit_interval`) still commits.
"""

from __future__ import annotations

import asyncio
from typing import Any

from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as faust_aiokafka

HANDOVER_BATCH = 100  # records handed over between two yields to the loop (as Faust does)


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

    async def _hand_over(self, fetched: Any) -> None:
        """Pass each fetched record on to the agents, in order, once per offset."""
        callback, read_offset, suspended = self.callback, self._read_offset, self.suspend_flow
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
            if suspended.is_set():
                await self.wait_first(callback(message), suspended.wait())
            else:
                await callback(message)
            if read_offset[tp] == last:  # not sought while the record was being handed over
                read_offset[tp] = message.offset
            set_here[tp] = message.offset
            handed += 1
            if handed % HANDOVER_BATCH == 0:
                await asyncio.sleep(0)
