"""Benchmark: the producer against its baselines, on the local stack and the simulator.

- catch-up: frames/s into Kafka at speed=fast with acks=all, beside a bare aiokafka producer
  sending the same bytes (same keys, acks=all, idempotent) in the same run;
- fan-out at live pace (about 1 frame/s per fixture): the producer's CPU and memory per open
  stream, beside a bare websockets client reading the same streams; and its publish latency
  (frame received to Kafka acknowledgement) from its own histogram.

Run: `python -m bench.producer` (starts a temporary local stack).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.measure import histogram_bound, metric_total, scrape, spawn, stop, usage
from bench.simulator import _port, simulator
from sportsfeed.core.admin import ensure_topics
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import load_settings
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed
from sportsfeed.simulator.catalogue import generate_catalogue
from sportsfeed.stack.local import stack_endpoints
from sportsfeed.stack.processes import free_port

SEED = 9
PARTITIONS = 4
PRODUCE = [sys.executable, "-m", "sportsfeed", "produce"]
FRAMES = "sportsfeed_producer_frames_total"


@contextmanager
def running_simulator(fixtures: int, multiplier: float) -> Iterator[int]:
    server = simulator(fixtures, multiplier, seed=SEED)
    process, line = spawn(server.argv, server.ready)
    try:
        yield _port(line)
    finally:
        stop(process)


def producer_env(
    stack: Endpoints, prefix: str, port: int, fixtures: int, **extra: str
) -> dict[str, str]:
    catalogue = generate_catalogue(fixtures, SEED)
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
        "SCHEMA_REGISTRY_URL": stack.registry_url,
        "SPORTSFEED_TOPIC_PREFIX": prefix,
        "SPORTSFEED_PARTITIONS": str(PARTITIONS),
        "SPORTSFEED_FEED_URL": f"ws://127.0.0.1:{port}",
        "SPORTSFEED_FIXTURES": ",".join(
            f"{f.sport.slug}:{f.fixture_id}" for f in catalogue.values()
        ),
        "SPORTSFEED_VENDOR_TOKEN": "local-simulator-token",
        "SPORTSFEED_LOG_LEVEL": "WARNING",
        **extra,
    }


async def _raw_records(stack: Endpoints, topics: Topics) -> list[tuple[bytes, bytes, int]]:
    consumer = AIOKafkaConsumer(
        topics.raw(Feed.ACTIONS),
        topics.raw(Feed.STATISTICS),
        bootstrap_servers=stack.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records = []
    try:
        while batch := await consumer.getmany(timeout_ms=2000, max_records=50_000):
            records += [(m.key, m.value, m.timestamp) for ms in batch.values() for m in ms]
    finally:
        await consumer.stop()
    return records


async def _bare_send(
    stack: Endpoints, topic: str, records: list[tuple[bytes, bytes, int]]
) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=0,
        max_batch_size=512 * 1024,
    )  # the producer's settings
    await producer.start()
    try:
        started = time.monotonic()
        for key, value, _ in records:
            await producer.send(topic, value, key=key)
        await producer.flush()
        return len(records) / (time.monotonic() - started)
    finally:
        await producer.stop()


def catch_up(stack: Endpoints, fixtures: int) -> tuple[float, float, int]:
    prefix = f"bench{int(time.time())}."
    topics = Topics(prefix)
    asyncio.run(ensure_topics(stack, topics, PARTITIONS, 1, -1))
    with running_simulator(fixtures, 1.0) as port:
        # the simulator does not rate-limit connections, so neither need we here: this
        # measures frames/s into Kafka, not the vendor's 5 connections per second
        env = producer_env(
            stack,
            prefix,
            port,
            fixtures,
            SPORTSFEED_SPEED="fast",
            SPORTSFEED_METRICS_PORT="0",
            SPORTSFEED_CONNECTS_PER_S="1000",
        )
        subprocess.run(PRODUCE, env=env, check=True, timeout=900)
    records = asyncio.run(_raw_records(stack, topics))
    stamps = [stamp for _, _, stamp in records]
    produced = len(records) / ((max(stamps) - min(stamps)) / 1000)
    baseline_topic = f"{prefix}baseline"
    asyncio.run(ensure_topics(stack, Topics(baseline_topic + "."), PARTITIONS, 1, -1))
    bare = asyncio.run(_bare_send(stack, Topics(baseline_topic + ".").raw(Feed.ACTIONS), records))
    return produced, bare, len(records)


def _hold(
    pid: int, hold_s: float, metrics_port: int = 0, settle_s: float = 25
) -> tuple[float, float, str, str]:
    """CPU (% of a core) over `hold_s` after a settling time, RSS (MB) at the end, and the
    metrics text at both ends of the window (if `metrics_port`)."""
    time.sleep(settle_s)  # start-up, connections, the catch-up burst
    first = scrape(metrics_port) if metrics_port else ""
    before, started = usage(pid), time.monotonic()
    time.sleep(hold_s)
    after, elapsed = usage(pid), time.monotonic() - started
    last = scrape(metrics_port) if metrics_port else ""
    cpu = 100 * (after.cpu_seconds - before.cpu_seconds) / elapsed
    return cpu, after.rss_bytes / 2**20, first, last


def fan_out(
    stack: Endpoints, fixtures: int, hold_s: float, settle_s: float = 25
) -> dict[str, float]:
    prefix = f"fan{int(time.time())}."
    asyncio.run(ensure_topics(stack, Topics(prefix), PARTITIONS, 1, -1))
    metrics_port = free_port()
    with running_simulator(fixtures, multiplier=20) as port:
        env = producer_env(
            stack,
            prefix,
            port,
            fixtures,
            SPORTSFEED_FEEDS="actions",
            SPORTSFEED_METRICS_PORT=str(metrics_port),
        )
        process = subprocess.Popen(PRODUCE, env=env)
        try:
            cpu, rss, first, metrics = _hold(process.pid, hold_s, metrics_port, settle_s)
        finally:
            process.terminate()
            process.wait(60)
        reader = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.reader",
                "--port",
                str(port),
                "--fixtures",
                str(fixtures),
                "--seed",
                str(SEED),
                "--seconds",
                str(hold_s + settle_s + 15),
            ]
        )
        try:
            bare_cpu, bare_rss, _, _ = _hold(reader.pid, hold_s, settle_s=settle_s)
        finally:
            reader.terminate()
            reader.wait(60)
    frames = metric_total(metrics, FRAMES)
    name = "sportsfeed_producer_publish_latency_seconds"
    return {
        "cpu_percent": cpu,
        "rss_mb": rss,
        "bare_cpu_percent": bare_cpu,
        "bare_rss_mb": bare_rss,
        "frames": frames,
        "frames_per_s": (frames - metric_total(first, FRAMES)) / hold_s,
        "p50_ms": 1000 * histogram_bound(first, metrics, name, 0.5),
        "p99_ms": 1000 * histogram_bound(first, metrics, name, 0.99),
    }


def main() -> None:
    settings = load_settings()
    with stack_endpoints(settings, temporary=True) as stack:
        produced, bare, count = catch_up(stack, 100)
        print(f"catch-up, {count:,} frames of 100 fixtures, acks=all:")
        print(f"  producer            {produced:10,.0f} frames/s")
        print(f"  bare aiokafka       {bare:10,.0f} frames/s")
        print(f"  ratio producer/bare {produced / bare:10.2f}")
        live = fan_out(stack, 1000, 30.0)
        print("fan-out, 1,000 live fixtures (actions feed), 30 s held:")
        for name, cpu, rss in (
            ("producer", live["cpu_percent"], live["rss_mb"]),
            ("bare websockets", live["bare_cpu_percent"], live["bare_rss_mb"]),
        ):
            print(
                f"  {name:<16} CPU {cpu:5.1f}% of a core  RSS {rss:4.0f} MB "
                f"({rss * 1024 / 1000:.0f} KB per stream, interpreter included)"
            )
        print(f"  ratio CPU producer/bare {live['cpu_percent'] / live['bare_cpu_percent']:.2f}")
        print(f"  publish latency p50 <= {live['p50_ms']:.1f} ms, p99 <= {live['p99_ms']:.1f} ms")


if __name__ == "__main__":
    main()
