"""`python -m bench`: every benchmark beside its baseline, on one local stack; writes RESULTS.md.

In order: the producer's catch-up (3 runs) and fan-out at 100, 1,000 and 2,000 live fixtures;
end-to-end latency at 500 live fixtures in every feed mix (3 runs each); a season of 1,000
archived fixtures imported and replayed with the real commands (the processor's replay
figure); and 1, 2 and 4 workers on the season's raw topics. Each figure sits beside a
baseline measured in the same run; medians of repeated runs come with their min and max.
About 27 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from bench.measure import machine_facts, spread
from bench.processor import feed_mixes
from bench.producer import catch_up, fan_out
from bench.report import Report, Row, verdict
from bench.season import FIXTURES, scaled, season
from infra.stack import Endpoints, stack_endpoints
from sportsfeed.settings import load_settings

RESULTS = Path(__file__).with_name("RESULTS.md")


def producer(stack: Endpoints, report: Report, sizes: tuple[int, ...], repeats: int) -> None:
    runs = [catch_up(stack, 100) for _ in range(repeats)]
    ours, bare = spread([r[0] for r in runs]), spread([r[1] for r in runs])
    report.add("Producer", Row(
        f"catch-up, `speed=fast`, `acks=all`, {runs[0][2]:,} frames of 100 fixtures, frames/s",
        str(ours), f"bare aiokafka producer, same records: {bare}", ours.median / bare.median,
        ">= 20,000", verdict(ours.median >= 20_000),
    ))  # fmt: skip
    for fixtures in sizes:
        found = fan_out(stack, fixtures, hold_s=20, settle_s=20)
        per_stream_kb = found["rss_mb"] * 1024 / fixtures
        report.add("Producer", Row(
            f"fan-out, {fixtures:,} live fixtures ({found['frames_per_s']:,.0f} frames/s): "
            "CPU % of a core, RSS per stream",
            f"{found['cpu_percent']:.1f}%, {per_stream_kb:,.0f} KB",
            f"bare websockets client: {found['bare_cpu_percent']:.1f}%, "
            f"{found['bare_rss_mb'] * 1024 / fixtures:,.0f} KB",
            found["cpu_percent"] / max(found["bare_cpu_percent"], 0.1),
            "< 25%, <= 100 KB" if fixtures >= 1000 else "",
            verdict(found["cpu_percent"] < 25 and per_stream_kb <= 100) if fixtures >= 1000 else "",
        ))  # fmt: skip
        if fixtures == sizes[len(sizes) // 2]:
            report.add("Producer", Row(
                f"publish latency at {fixtures:,} live fixtures, frame received to Kafka ack",
                f"p50 <= {found['p50_ms']:.1f} ms, p99 <= {found['p99_ms']:.1f} ms", "", None,
            ))  # fmt: skip


def latency(stack: Endpoints, report: Report, fixtures: int, repeats: int) -> None:
    for row in feed_mixes(stack, fixtures, repeats):
        report.add("Processor", Row(
            f"end to end at {fixtures} live fixtures, {row.mix.name} ({row.frames_per_s:,.0f} "
            "frames/s), producer receipt to derived record received, ms",
            f"p50 {row.p50}, p99 {row.p99}",
            f"one Kafka hop (the raw record): p50 {row.hop_p50}, p99 {row.hop_p99}",
            row.p50.median / row.hop_p50.median, "p50 <= 5 ms, p99 <= 20 ms",
            verdict(row.p50.median <= 5 and row.p99.median <= 20),
        ))  # fmt: skip


def processor(stack: Endpoints, report: Report, fixtures: int, window: tuple[float, float]) -> None:
    found, raw = season(stack, fixtures)
    ratio = found.replay_rate / found.pass_through
    report.add("Processor", Row(
        f"replay of {found.frames:,} raw frames (a season, below), one worker, frames/s",
        f"{found.replay_rate:,.0f}",
        f"plain aiokafka consume-parse-produce pass-through: {found.pass_through:,.0f}", ratio,
        ">= 20,000 and >= 0.5x", verdict(found.replay_rate >= 20_000 and ratio >= 0.5),
    ))  # fmt: skip
    report.add("Season", Row(
        f"{found.fixtures:,} archived fixtures ({found.frames:,} frames): "
        "`sportsfeed archive import`, then `sportsfeed replay`",
        f"import {found.import_s:.0f} s, replay {found.replay_s:.0f} s", "", None,
    ))  # fmt: skip
    single = 0.0
    for count in (1, 2, 4):
        result = scaled(stack, raw, count, *window)
        single = single or result.rate
        report.add("Scaling", Row(
            f"{count} worker process{'es' if count > 1 else ''} on one topic (4 partitions), "
            f"frames/s committed over {window[1]:.0f} s",
            f"{result.rate:,.0f} (CPU {result.cpu_percent:.0f}% of a core)",
            "1 worker" if count > 1 else "", result.rate / single if count > 1 and single else None,
        ))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, one run each: checks every benchmark"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the table")
    args = parser.parse_args()
    if args.quick:
        sizes, repeats, fixtures, window = (20, 50, 100), 1, 100, (10.0, 10.0)
    else:
        sizes, repeats, fixtures, window = (100, 1000, 2000), 3, FIXTURES, (25.0, 30.0)
    report = Report(machine_facts())
    started = time.monotonic()
    steps: list[tuple[str, Callable[[Endpoints], None]]] = [
        ("producer", lambda stack: producer(stack, report, sizes, repeats)),
        ("end-to-end latency, every feed mix",
         lambda stack: latency(stack, report, 50 if args.quick else 500, repeats)),
        ("season, replay and scaling", lambda stack: processor(stack, report, fixtures, window)),
    ]  # fmt: skip
    with stack_endpoints(load_settings(), temporary=True) as stack:
        for n, (name, step) in enumerate(steps, 1):
            print(f"[{n}/{len(steps)}] {name} ({time.monotonic() - started:.0f} s so far)",
                  flush=True)  # fmt: skip
            step(stack)
    report.minutes = (time.monotonic() - started) / 60
    print(report.table())
    args.output.write_text(report.markdown(), encoding="utf-8")
    print(f"written to {args.output} in {report.minutes:.1f} minutes")


if __name__ == "__main__":
    main()
