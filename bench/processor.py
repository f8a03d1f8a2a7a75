"""Benchmark: the processor against its baselines, on the local stack.

- end-to-end latency at 500 live fixtures (about a frame per second each, every stream open
  from the start): from the producer receiving a frame (the raw record's `received-at`, a
  loopback hop after the simulator sent it) to a downstream consumer receiving the derived
  record; baseline: the raw record itself, the same frames' one hop through Kafka, received
  by the same consumer. Also the part spent in the worker, from its own histogram (a raw
  record's Kafka timestamp to its outputs sent; bucket bounds).

Also the pieces `bench.replay` and `bench.season` share: the worker replaying raw topics, the
pass-through, the no-op Faust agent. Run: `python -m bench.processor` (starts a temporary
local stack unless KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL name one). With
BENCH_PROFILE=FILE every worker it starts runs under py-spy, which writes its profile to FILE
(each worker's over the last one's).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastavro import schemaless_reader

from bench.measure import Spread, cpu_seconds, histogram_bound, metric_total, scrape, spread, usage
from bench.producer import PARTITIONS, producer_env, running_simulator
from producers.protocol import StreamId, raw_headers
from schemas.serde import HEADER, parsed_schema
from sportsfeed.core.admin import ensure_topics
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import load_settings
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Channel, Feed
from sportsfeed.simulator.catalogue import generate_catalogue
from sportsfeed.stack.local import stack_endpoints
from sportsfeed.stack.processes import free_port
from sportsfeed.verbs.progress import group_progress, raw_partitions

PROCESS = [sys.executable, "-m", "sportsfeed", "process"]
DERIVED = ("fixture_score", "period_delta", "fixture_finished")
WORKER_LATENCY = "sportsfeed_processor_latency_seconds"
FRAMES_METRIC = "sportsfeed_processor_frames_total"
# Match time 9 times real time: about one frame per second per fixture over both feeds (521
# frames/s from 500 fixtures, measured), the targets' live pace.
LIVE_MULTIPLIER = 9


async def _publish_catalogue(stack: Endpoints, topics: Topics, frames: int) -> int:
    """Enough generated fixtures' frames, with the producer's headers, into the raw topics."""
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=512 * 1024,
    )
    await producer.start()
    sent, seed = 0, 0
    try:
        while sent < frames:
            seed += 1
            for fixture in generate_catalogue(50, seed).values():
                for feed in Feed:
                    stream = StreamId(fixture.fixture_id, fixture.sport, feed)
                    for position, frame in enumerate(fixture.stream(feed).frames, 1):
                        headers = raw_headers(
                            stream, Channel.BETTING, position, time.time_ns() // 1000, "ws://bench"
                        )
                        key = fixture.fixture_id.encode()
                        await producer.send(
                            topics.raw(feed), frame.text.encode(), key=key, headers=headers
                        )
                        sent += 1
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def _pass_through(
    stack: Endpoints, source: Topics, out: str, total: int
) -> tuple[float, float]:
    """Frames/s of a plain consume-parse-produce loop over the raw topics, and the CPU seconds
    it used (both from the first record to the last output sent)."""
    consumer = AIOKafkaConsumer(
        source.raw(Feed.ACTIONS),
        source.raw(Feed.STATISTICS),
        bootstrap_servers=stack.bootstrap_servers,
        group_id=f"bench-pass-{time.time_ns()}",
        auto_offset_reset="earliest",
        enable_auto_commit=True,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.bootstrap_servers, acks="all", enable_idempotence=True, linger_ms=0
    )
    await consumer.start()
    await producer.start()
    done, started, cpu = 0, 0.0, 0.0
    try:
        while done < total:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            if batch and not started:  # not the wait for the group's first assignment
                started, cpu = time.monotonic(), cpu_seconds()
            for messages in batch.values():
                for m in messages:
                    frame = orjson.loads(m.value)
                    await producer.send(out, orjson.dumps(frame), key=m.key)
                    done += 1
        await producer.flush()
        return done / (time.monotonic() - started), cpu_seconds() - cpu
    finally:
        await consumer.stop()
        await producer.stop()


async def _output_span(stack: Endpoints, topics: Topics) -> tuple[int, float]:
    """How many derived records there are, and the seconds between the first and the last."""
    names = [getattr(topics, name) for name in DERIVED]
    consumer = AIOKafkaConsumer(
        *names,
        bootstrap_servers=stack.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    stamps: list[int] = []
    try:
        while batch := await consumer.getmany(timeout_ms=2000, max_records=50_000):
            stamps += [m.timestamp for ms in batch.values() for m in ms]
    finally:
        await consumer.stop()
    return len(stamps), (max(stamps) - min(stamps)) / 1000


def _worker_env(stack: Endpoints, prefix: str, raw_prefix: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
        "SCHEMA_REGISTRY_URL": stack.registry_url,
        "SPORTSFEED_TOPIC_PREFIX": prefix,
        "SPORTSFEED_RAW_TOPIC_PREFIX": raw_prefix,
        "SPORTSFEED_PARTITIONS": str(PARTITIONS),
        "SPORTSFEED_METRICS_PORT": str(free_port()),
        "SPORTSFEED_LOG_LEVEL": "WARNING",
        "SPORTSFEED_DATA_DIR": tempfile.mkdtemp(prefix="sportsfeed-bench-"),
        **extra,
    }


@dataclass(frozen=True)
class WorkerReplay:
    prefix: str  # of the topics it wrote
    seconds: float  # from its first derived record to its last (their Kafka timestamps)
    cpu_s: float  # its CPU time from its first raw frame to the end
    start_up_cpu_s: float  # its CPU time before its first raw frame


def _replay_once(stack: Endpoints, raw: Topics, run: int) -> WorkerReplay:
    """One `sportsfeed process` worker replaying the raw topics into topics of its own."""
    prefix = f"replay{run}x{int(time.time())}."
    env = _worker_env(stack, prefix, raw.prefix)
    worker = subprocess.Popen([*profiled(), *PROCESS], env=env)
    try:
        deadline = time.monotonic() + 900
        started = time.monotonic()
        start_up = _cpu_at_first_frame(worker, int(env["SPORTSFEED_METRICS_PORT"]), deadline)
        group, partitions = Topics(prefix).processor_group, raw_partitions(raw, PARTITIONS)
        while not asyncio.run(group_progress(stack, group, partitions)).caught_up:
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError("the worker did not finish the replay")
            time.sleep(2)
        cpu = usage(worker.pid).cpu_seconds - start_up
        print(
            f"  run {run}: worker used {start_up:.1f} s of CPU starting, {cpu:.1f} s from its "
            f"first frame, in {time.monotonic() - started:.1f} s"
        )
    finally:
        _stop(worker)
    records, seconds = asyncio.run(_output_span(stack, Topics(prefix)))
    print(f"  run {run}: {records:,} derived records in {seconds:.1f} s")
    return WorkerReplay(prefix, seconds, cpu, start_up)


def profiled() -> list[str]:
    """The py-spy command to run the worker under, when BENCH_PROFILE names a file for its
    profile (py-spy's raw format: one collapsed stack and its sample count a line)."""
    profile = os.environ.get("BENCH_PROFILE")
    if not profile:
        return []
    spy = str(Path(sys.executable).with_name("py-spy"))  # installed beside this Python
    return [spy, "record", "--format", "raw", "-o", profile, "--"]


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """Stop a worker; one run under py-spy is stopped by Ctrl-C, which writes its profile."""
    worker.send_signal(signal.SIGINT) if profiled() else worker.terminate()
    worker.wait(60)


def _cpu_at_first_frame(worker: subprocess.Popen[bytes], port: int, deadline: float) -> float:
    """The worker's CPU seconds once its metrics count a raw frame (polled every 50 ms)."""
    while time.monotonic() < deadline and worker.poll() is None:
        try:
            if metric_total(scrape(port), FRAMES_METRIC) > 0:
                return usage(worker.pid).cpu_seconds
        except OSError:
            pass  # its metrics port is not open yet
        time.sleep(0.05)
    raise RuntimeError("the worker never took a raw frame")


def _faust_floor(stack: Endpoints, raw: Topics, frames: int) -> float:
    """Frames/s of a Faust agent that does nothing: what any Faust worker pays per record."""
    argv = [
        sys.executable,
        "-m",
        "bench.noop_agent",
        "--bootstrap",
        stack.bootstrap_servers,
        "--prefix",
        raw.prefix,
        "--frames",
        str(frames),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)
    output = done.stdout + done.stderr  # Faust's worker turns prints into log lines
    rate = re.search(r"RATE ([0-9.]+)", output)
    if rate is None:
        raise RuntimeError(f"the no-op Faust agent did not finish: {output[-2000:]}")
    return float(rate[1])


@dataclass
class Observed:
    """What the latency consumer saw: raw records' hop times, and derived records to match."""

    raw_ms: list[float] = field(default_factory=list)
    derived: list[tuple[str, bytes, bytes, int]] = field(
        default_factory=list
    )  # topic, key, body, µs
    received_at: dict[tuple[bytes, str, bytes], int] = field(default_factory=dict)  # by source


async def _latencies(stack: Endpoints, topics: Topics, seconds: float) -> Observed:
    """Receive time minus the raw frame's received-at, per derived record and per raw record."""
    derived = [getattr(topics, name) for name in ("fixture_score", "period_delta")]
    raw_names = [topics.raw(feed) for feed in Feed]
    consumer = AIOKafkaConsumer(
        *derived,
        *raw_names,
        bootstrap_servers=stack.bootstrap_servers,
        auto_offset_reset="latest",
        enable_auto_commit=False,
        fetch_max_wait_ms=100,
    )
    await consumer.start()
    seen = Observed()
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            batch = await consumer.getmany(timeout_ms=200)
            now_us = time.time_ns() // 1000
            for tp, messages in batch.items():
                for m in messages:
                    if tp.topic in raw_names:
                        headers = dict(m.headers)
                        stamp = int(headers["received-at"])
                        seen.received_at[m.key, headers["feed"].decode(), headers["position"]] = (
                            stamp
                        )
                        seen.raw_ms.append((now_us - stamp) / 1000)
                    else:
                        seen.derived.append((tp.topic, m.key, m.value[HEADER.size :], now_us))
    finally:
        await consumer.stop()
    return seen


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": statistics.median(ordered),
        "p99": ordered[int(0.99 * (len(ordered) - 1))],
        "max": ordered[-1],
        "count": float(len(ordered)),
    }


@dataclass(frozen=True)
class FeedMix:
    """What the producer subscribes and how fast it opens streams, for one latency row."""

    name: str
    feeds: str  # SPORTSFEED_FEEDS
    connects_per_s: int  # SPORTSFEED_CONNECTS_PER_S


# Every stream opens at once, so that live frames are measured, not streams catching up; the
# catch-up row opens them at the vendor's 5 a second instead, so that all through the
# measurement streams open and each replays its match so far (up to about 150 frames at once)
# while the others run live. Actions only and statistics only leave the other raw topic
# empty, as a deployment that subscribes one feed does.
FEED_MIXES = (
    FeedMix("actions only", "actions", 1000),
    FeedMix("statistics only", "statistics", 1000),
    FeedMix("both feeds", "actions,statistics", 1000),
    FeedMix("both feeds, with catch-up bursts", "actions,statistics", 5),
)


def end_to_end(
    stack: Endpoints,
    fixtures: int = 500,
    hold_s: float = 30.0,
    mix: FeedMix = FEED_MIXES[2],
    settle_s: float = 30.0,
) -> dict[str, dict[str, float]]:
    """Live pace, all of simulator, producer and worker running, on topics of their own (the
    other feed's raw topic never written); latency per record."""
    prefix = f"e2e{mix.feeds.replace(',', '')}{mix.connects_per_s}x{time.time_ns()}."
    topics = Topics(prefix)
    asyncio.run(ensure_topics(stack, topics, PARTITIONS, 1, -1))
    with running_simulator(fixtures, LIVE_MULTIPLIER) as port:
        env = producer_env(
            stack,
            prefix,
            port,
            fixtures,
            SPORTSFEED_METRICS_PORT="0",
            SPORTSFEED_CONNECTS_PER_S=str(mix.connects_per_s),
            SPORTSFEED_FEEDS=mix.feeds,
        )
        producer = subprocess.Popen([sys.executable, "-m", "sportsfeed", "produce"], env=env)
        worker_env = _worker_env(stack, prefix, prefix)
        worker = subprocess.Popen([*profiled(), *PROCESS], env=worker_env)
        metrics_port = int(worker_env["SPORTSFEED_METRICS_PORT"])
        try:
            time.sleep(settle_s)  # start-up, the group's first rebalance, the first streams
            first = scrape(metrics_port)
            seen = asyncio.run(_latencies(stack, topics, hold_s))
            last = scrape(metrics_port)
        finally:
            producer.terminate()
            producer.wait(60)
            _stop(worker)
    # The worker's own histogram: a raw record's Kafka timestamp to its outputs sent.
    in_worker = {
        f"p{round(100 * q)} <=": 1000 * histogram_bound(first, last, WORKER_LATENCY, q)
        for q in (0.5, 0.99)
    }
    raw = {**_percentiles(seen.raw_ms), "frames/s": len(seen.raw_ms) / hold_s}
    return {"raw": raw, "derived": _derived_latency(seen), "worker": in_worker}


@dataclass(frozen=True)
class MixLatency:
    """Medians over repeated runs of one feed mix (each on topics of its own)."""

    mix: FeedMix
    frames_per_s: float
    p50: Spread
    p99: Spread
    hop_p50: Spread
    hop_p99: Spread


def feed_mixes(
    stack: Endpoints, fixtures: int = 500, repeats: int = 3, hold_s: float = 20.0
) -> list[MixLatency]:
    """Every feed mix's end-to-end latency beside one Kafka hop, `repeats` runs each."""
    results = []
    for mix in FEED_MIXES:
        runs = [end_to_end(stack, fixtures, hold_s, mix, settle_s=20.0) for _ in range(repeats)]
        for run in runs:
            derived, hop = run["derived"], run["raw"]
            print(
                f"  {mix.name}: derived p50 {derived['p50']:.1f} ms, p99 {derived['p99']:.1f}"
                f" ms; hop p50 {hop['p50']:.1f} ms, p99 {hop['p99']:.1f} ms; "
                f"{hop['frames/s']:,.0f} frames/s"
            )
        results.append(
            MixLatency(
                mix,
                statistics.median(run["raw"]["frames/s"] for run in runs),
                *(
                    spread([run[part][q] for run in runs])
                    for part, q in (
                        ("derived", "p50"),
                        ("derived", "p99"),
                        ("raw", "p50"),
                        ("raw", "p99"),
                    )
                ),
            )
        )
    return results


def _derived_latency(seen: Observed) -> dict[str, float]:
    """Match each derived record to its raw frame by (fixture, feed, position)."""
    schemas = {
        "fixture-score": parsed_schema("fixture_score"),
        "period-delta": parsed_schema("period_delta"),
    }
    latencies = []
    for topic, key, body, now_us in seen.derived:
        schema = schemas[topic.rsplit(".", 1)[1]]
        record = schemaless_reader(io.BytesIO(body), schema, None)
        assert isinstance(record, dict)
        source = record["source"]
        stamp = seen.received_at.get(
            (key, source["feed"].lower(), str(source["position"]).encode())
        )
        if stamp is not None:
            latencies.append((now_us - stamp) / 1000)
    return _percentiles(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.processor", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs of each feed mix (median)")
    parser.add_argument("--fixtures", type=int, default=500, help="live fixtures (latency)")
    parser.add_argument(
        "--only",
        choices=["latency", "mixes"],
        help="run one benchmark (mixes: every feed mix's latency)",
    )
    args = parser.parse_args()
    settings = load_settings()
    with stack_endpoints(settings, temporary=True) as stack:
        if args.only == "mixes":
            for row in feed_mixes(stack, args.fixtures, args.repeats):
                print(
                    f"{row.mix.name} ({row.frames_per_s:,.0f} frames/s), ms: derived p50 "
                    f"{row.p50}, p99 {row.p99}; one Kafka hop p50 {row.hop_p50}, "
                    f"p99 {row.hop_p99}"
                )
        if args.only in (None, "latency"):
            latency = end_to_end(stack, args.fixtures)
            print(f"end to end at {args.fixtures} live fixtures, ms:")
            for name, figures in latency.items():
                print(f"  {name:<8} " + ", ".join(f"{k} {v:,.1f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
