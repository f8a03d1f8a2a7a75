"""Producer: its Prometheus metrics, in a registry of its own."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        labels = ["sport", "feed"]
        r = self.registry
        ProcessCollector(registry=r)  # process_start_time_seconds: restarts show as its changes
        self.frames = Counter(
            "sportsfeed_producer_frames", "Data frames published", labels, registry=r
        )
        self.bytes = Counter(
            "sportsfeed_producer_bytes", "Bytes of data frames published", labels, registry=r
        )
        self.oversized = Counter(
            "sportsfeed_producer_oversized_frames",
            "Frames over the frame limit, published as a stand-in (sportsfeed.core.limits)",
            labels,
            registry=r,
        )
        self.reconnects = Counter(
            "sportsfeed_producer_reconnects",
            "Reconnections after a drop, silence or refusal",
            labels,
            registry=r,
        )
        self.heartbeats = Counter(
            "sportsfeed_producer_heartbeats", "Heartbeats received", labels, registry=r
        )
        self.open_streams = Gauge(
            "sportsfeed_producer_open_streams",
            "Streams being produced (not finished or failed)",
            registry=r,
        )
        self.states = Gauge(
            "sportsfeed_producer_streams_in_state",
            "Streams per feed-status state",
            ["state"],
            registry=r,
        )
        self.publish_latency = Histogram(
            "sportsfeed_producer_publish_latency_seconds",
            "Frame received to Kafka ack",
            buckets=(
                0.0005,
                0.001,
                0.002,
                0.003,
                0.004,
                0.005,
                0.0075,
                0.01,
                0.02,
                0.05,
                0.1,
                0.5,
                1,
                5,
            ),
            registry=r,
        )
        self.heartbeat_gap = Histogram(
            "sportsfeed_producer_heartbeat_gap_seconds",
            "Time between a stream's heartbeats",
            buckets=(1, 5, 10, 12, 15, 20, 25, 30, 60),
            registry=r,
        )
        self.oldest_unacked = Gauge(
            "sportsfeed_producer_oldest_unacked_seconds",
            "Age of the oldest record awaiting Kafka's ack; the producer ends when it reaches "
            "the outage limit",
            registry=r,
        )
        self.outage_limit = Gauge(
            "sportsfeed_producer_kafka_outage_limit_seconds",
            "SPORTSFEED_KAFKA_OUTAGE_LIMIT_S: how long Kafka may not acknowledge a record",
            registry=r,
        )
