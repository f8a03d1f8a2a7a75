"""The processor's Kafka fetch wait, which Faust hard-codes to 1.5 s, set from our settings.

aiokafka keeps one fetch request in flight per broker, and leaves out of it every partition
whose fetched records the application has not taken yet. Under steady traffic the busy
partitions are often in that state, so the request carries only the others; when those are
idle (a raw topic no fixture writes, as when every fixture subscribes one feed) the broker
holds the request for its full wait, and records arriving meanwhile on the busy partitions
cannot be fetched until it returns. With Faust's `fetch_max_wait_ms=1500`, actions-only
traffic waited about a second per record. The wait is therefore the bound on what an idle
partition can add to a busy one's latency; the price of a short wait is an empty fetch
response every `fetch_max_wait_ms` from a broker whose partitions are all idle.

Faust builds its consumer without a way to pass this value, so it is set here, on the
consumer Faust built, before it starts (aiokafka reads it when it creates its fetcher).

The thread also learns, after each fetch, which offsets the fetcher skipped (the producers'
transaction markers, see `processors.skipped`), for the commits to pass them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from faust.transport.drivers import aiokafka as faust_aiokafka

from processors.skipped import Learner

if TYPE_CHECKING:
    from processors.gapless import GaplessApp, GaplessConsumer


class FetchWaitThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's consumer thread, its aiokafka consumer built with the app's fetch wait."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        if not hasattr(consumer, "_fetch_max_wait_ms"):
            # A silently ignored setting would bring the second-long waits back unnoticed.
            raise RuntimeError("aiokafka's consumer no longer has _fetch_max_wait_ms")
        consumer._fetch_max_wait_ms = cast("GaplessApp", self.app).fetch_max_wait_ms
        markers = cast("GaplessConsumer", self.consumer).markers
        self._learner = Learner(markers, self.app.topics.acks_enabled_for)
        self._learner.watch(consumer)
        return consumer

    async def _fetch_records(self, consumer: Any, *args: Any, **kwargs: Any) -> Any:
        records = await super()._fetch_records(consumer, *args, **kwargs)
        self._learner.fetched(consumer, records)  # before any of them is handed over
        return records
