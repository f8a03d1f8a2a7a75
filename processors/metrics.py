"""Processor: its Prometheus metrics, in a registry of its own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        ProcessCollector(registry=r)  # process_start_time_seconds: restarts show as its changes
        self.frames = Counter(
            "sportsfeed_processor_frames", "Raw frames consumed", ["feed"], registry=r
        )
        self.outputs = Counter(
            "sportsfeed_processor_outputs", "Derived records sent", ["topic"], registry=r
        )
        self.dead_letters = Counter(
            "sportsfeed_processor_dead_letters",
            "Raw records sent to the rejected topic",
            ["feed", "error"],
            registry=r,
        )
        self.feeds_inferred = Counter(
            "sportsfeed_processor_feeds_inferred",
            "Raw records without the `feeds` header: who scores the fixture was inferred",
            ["feed"],
            registry=r,
        )
        self.repeats = Counter(
            "sportsfeed_processor_repeats_dropped",
            "Repeated or stale frames dropped",
            ["feed"],
            registry=r,
        )
        self.refetched = Counter(
            "sportsfeed_processor_refetched",
            "Raw records handed over out of order (mid-rebalance, or past one never handed "
            "over), left unprocessed to be fetched again in order",
            registry=r,
        )
        self.retired = Counter(
            "sportsfeed_processor_fixtures_retired",
            "Finished fixtures whose state was shrunk",
            registry=r,
        )
        self.latency = Histogram(
            "sportsfeed_processor_latency_seconds",
            "Raw record's Kafka timestamp to its derived records sent",
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5, 30),
            registry=r,
        )
        self.lag = Gauge(
            "sportsfeed_processor_lag",
            "Raw records not yet processed, per partition",
            ["topic", "partition"],
            registry=r,
        )
        self.rocksdb = Gauge(
            "sportsfeed_processor_rocksdb_bytes",
            "Memory RocksDB holds per table partition, as RocksDB counts it: write buffers "
            "(memtables), block cache, and index and filter blocks (table_readers)",
            ["partition", "kind"],
            registry=r,
        )
        self.market_states = Gauge(
            "sportsfeed_processor_market_states",
            "Fixtures this worker holds per market state (OPEN, SUSPENDED)",
            ["state"],
            registry=r,
        )

    def observe_rocksdb(self, dbs: Mapping[int, Any]) -> None:
        """Read RocksDB's own accounting from each open partition's database (rocksdict)."""
        self.rocksdb.clear()  # partitions revoked since the last reading drop out
        for partition, db in dbs.items():
            for kind, name in ROCKSDB_MEMORY.items():
                self.rocksdb.labels(str(partition), kind).set(db.property_int_value(name) or 0)


ROCKSDB_MEMORY = {
    "memtables": "rocksdb.size-all-mem-tables",  # active, unflushed and pinned write buffers
    "block_cache": "rocksdb.block-cache-usage",
    "table_readers": "rocksdb.estimate-table-readers-mem",  # index and filters outside the cache
}
