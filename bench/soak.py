"""Soak: the whole pipeline at live pace for a long while, with memory and lag over time.

Starts a temporary local stack, the simulator (fixtures kicking off one after another across
the run, so some are always live), one producer and one processor worker, then every
`--every` seconds prints each process's resident memory, the memory the worker's RocksDB
holds by its own accounting (write buffers, block cache, index and filter blocks: bounded by
`SPORTSFEED_ROCKSDB_MEMORY_MB`), the raw frames published so far and the worker's lag (raw
records not yet committed). At the end it prints, per process, the growth of resident memory
from the end of the warm-up to the end of the run (the median of three samples at each end),
which should stay under 10%, the same for the worker less the most its RocksDB has held so
far (what a leak would grow: memory RocksDB frees stays with the allocator for reuse, so the
worker's RSS follows RocksDB's high-water mark, not its current use), and writes the samples
as Markdown.

Run: `python -m bench.soak --minutes 30` (bounded: it stops after `--minutes`).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.measure import machine_facts, metric_total, scrape, spawn, stop, usage
from bench.processor import PROCESS, _worker_env
from bench.producer import PARTITIONS, PRODUCE, producer_env
from bench.simulator import _port
from sportsfeed.core.admin import ensure_topics
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import load_settings
from sportsfeed.core.topics import Topics
from sportsfeed.stack.local import stack_endpoints
from sportsfeed.verbs.progress import group_progress, raw_partitions

SEED = 9  # the producer's fixture list is generated with bench.producer's seed


@dataclass(frozen=True)
class Sample:
    minute: float
    rss_mb: dict[str, float]
    rocksdb_mb: float  # the worker's RocksDB, by RocksDB's own accounting
    frames: int
    lag: int


def soak(
    stack: Endpoints, minutes: float, fixtures: int, multiplier: float, every_s: float
) -> list[Sample]:
    prefix = f"soak{int(time.time())}."
    topics = Topics(prefix)
    partitions = raw_partitions(topics, PARTITIONS)
    asyncio.run(ensure_topics(stack, topics, PARTITIONS, 1, -1))
    spacing = minutes * 60 * 0.7 / fixtures  # kick-offs spread over most of the run
    argv = [
        sys.executable,
        "-m",
        "sportsfeed",
        "simulate",
        "--port",
        "0",
        "--fixtures",
        str(fixtures),
        "--seed",
        str(SEED),
        "--multiplier",
        str(multiplier),
        "--kickoff-spacing",
        f"{spacing:.3f}",
    ]
    simulator, line = spawn(argv, "simulating")
    producer = subprocess.Popen(
        PRODUCE, env=producer_env(stack, prefix, _port(line), fixtures, SPORTSFEED_METRICS_PORT="0")
    )
    worker_env = _worker_env(stack, prefix, prefix)
    worker = subprocess.Popen(PROCESS, env=worker_env)
    metrics_port = int(worker_env["SPORTSFEED_METRICS_PORT"])
    processes = {"simulator": simulator.pid, "producer": producer.pid, "worker": worker.pid}
    samples: list[Sample] = []
    started = time.monotonic()
    try:
        while (elapsed := time.monotonic() - started) < minutes * 60:
            time.sleep(min(every_s, max(0.0, minutes * 60 - elapsed)))
            progress = asyncio.run(group_progress(stack, topics.processor_group, partitions))
            rss = {name: usage(pid).rss_bytes / 2**20 for name, pid in processes.items()}
            sample = Sample(
                (time.monotonic() - started) / 60,
                rss,
                rocksdb_mb(metrics_port),
                progress.total,
                progress.lag,
            )
            samples.append(sample)
            print(
                f"{sample.minute:5.1f} min  "
                + "  ".join(f"{name} {mb:6.1f} MB" for name, mb in rss.items())
                + f" (RocksDB {sample.rocksdb_mb:5.1f} MB)"
                + f"  raw frames {sample.frames:8,}  lag {sample.lag:6,}",
                flush=True,
            )
            if producer.poll() is not None or worker.poll() is not None:
                raise RuntimeError("a process of the pipeline ended during the soak")
    finally:
        for process in (producer, worker):
            process.terminate()
            process.wait(60)
        stop(simulator)
    return samples


def rocksdb_mb(metrics_port: int) -> float:
    """The worker's RocksDB memory, summed over its table partitions, from its metrics page."""
    return metric_total(scrape(metrics_port), "sportsfeed_processor_rocksdb_bytes") / 2**20


def growth(samples: list[Sample], warm_up_min: float) -> dict[str, float]:
    """Per process, and for the worker less its RocksDB's peak so far: RSS growth (%) from
    the end of the warm-up to the end of the run."""
    series = {name: [s.rss_mb[name] for s in samples] for name in samples[0].rss_mb}
    peaks = itertools.accumulate((s.rocksdb_mb for s in samples), max)
    series["worker less RocksDB's peak"] = [
        s.rss_mb["worker"] - peak for s, peak in zip(samples, peaks, strict=True)
    ]
    warm = [i for i, s in enumerate(samples) if s.minute >= warm_up_min][:3]
    return {
        name: 100
        * (statistics.median(values[-3:]) / statistics.median(values[i] for i in warm) - 1)
        for name, values in series.items()
    }


def markdown(samples: list[Sample], grown: dict[str, float], args: argparse.Namespace) -> str:
    facts = machine_facts()
    names = list(samples[0].rss_mb)
    lines = [
        f"# Soak: {args.minutes:g} minutes at live pace",
        "",
        f"`python -m bench.soak --minutes {args.minutes:g} --fixtures {args.fixtures} "
        f"--multiplier {args.multiplier:g}` on {facts['date']}; {facts['cpu']}, "
        f"{facts['cores']} cores. The worker's RocksDB may use "
        f"{load_settings().rocksdb_memory_mb} MB per table partition "
        "(`SPORTSFEED_ROCKSDB_MEMORY_MB`).",
        "",
        "RSS growth from the end of the warm-up "
        f"({args.warm_up:g} min) to the end (median of 3 samples each): "
        + ", ".join(f"{name} {value:+.1f}%" for name, value in grown.items())
        + f" (limit +10%: {'met' if max(grown[name] for name in names) < 10 else '**missed**'}).",
        "",
        "| minute | "
        + " | ".join(f"{name} RSS, MB" for name in names)
        + " | worker's RocksDB, MB | raw frames | worker lag |",
        "|---" * (len(names) + 4) + "|",
    ]
    for s in samples:
        cells = " | ".join(f"{s.rss_mb[name]:.1f}" for name in names)
        lines.append(
            f"| {s.minute:.1f} | {cells} | {s.rocksdb_mb:.1f} | {s.frames:,} | {s.lag:,} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--minutes", type=float, default=30, help="how long to run")
    parser.add_argument("--fixtures", type=int, default=300, help="fixtures over the run")
    parser.add_argument("--multiplier", type=float, default=4, help="match time speed-up")
    parser.add_argument("--every", type=float, default=30, help="seconds between samples")
    parser.add_argument("--warm-up", type=float, default=5, help="minutes before growth counts")
    parser.add_argument("--output", type=Path, help="write the samples as Markdown here")
    args = parser.parse_args()
    if args.warm_up >= args.minutes:
        parser.error(
            f"--warm-up ({args.warm_up:g} min) must be shorter than --minutes "
            f"({args.minutes:g}): growth is measured from its end"
        )
    with stack_endpoints(load_settings(), temporary=True) as stack:
        samples = soak(stack, args.minutes, args.fixtures, args.multiplier, args.every)
    grown = growth(samples, args.warm_up)
    for name, value in grown.items():
        print(f"{name}: RSS {value:+.1f}% after the warm-up")
    if args.output is not None:
        args.output.write_text(markdown(samples, grown, args), encoding="utf-8")


if __name__ == "__main__":
    main()
