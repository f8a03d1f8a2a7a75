"""`python -m bench`: every benchmark beside its baseline, on one local stack; writes RESULTS.md.

In order, each a section of RESULTS.md (`--only NAME` measures one and keeps the others):

- producer: the producer's catch-up (3 runs) and fan-out at 100, 1,000 and 2,000 live fixtures;
- latency: end to end at 500 live fixtures in every feed mix (3 runs each);
- replay: the worker, a Quix Streams app and a plain aiokafka loop over the same pure core, and
  an aiokafka pass-through, on the same raw frames (3 runs; `bench.replay`);
- season: a season of 1,000 archived fixtures imported and replayed with the real commands,
  and 1, 2 and 4 workers on its raw topics;
- market: from a fault to SUSPENDED at a consumer, against the lease (3 runs; `bench.market`).

Each figure sits beside a baseline measured in the same run; medians of repeated runs come
with their min and max. The whole takes about 50 minutes on a 2-core machine: the replay
section took 8 minutes on a busy one, and the rest 17 minutes before the feed mixes (12 runs
of about 50 s) and the fail-safe section joined; `--quick` checks every section in a few.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.market import LEASE_S, fail_safe
from bench.measure import machine_facts, spread
from bench.processor import feed_mixes
from bench.producer import catch_up, fan_out
from bench.replay import FRAMES, PASS, PLAIN, QUIX, WORKER, replay
from bench.report import Report, Row, merged, verdict
from bench.season import FIXTURES, scaled, season
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import load_settings
from sportsfeed.stack.local import stack_endpoints

RESULTS = Path(__file__).with_name("RESULTS.md")


def producer(stack: Endpoints, report: Report, sizes: tuple[int, ...], repeats: int) -> None:
    runs = [catch_up(stack, 100) for _ in range(repeats)]
    ours, bare = spread([r[0] for r in runs]), spread([r[1] for r in runs])
    report.add(
        "Producer",
        Row(
            f"catch-up, `speed=fast`, `acks=all`, {runs[0][2]:,} frames of 100 fixtures, frames/s",
            str(ours),
            f"bare aiokafka producer, same records: {bare}",
            ours.median / bare.median,
            ">= 20,000",
            verdict(ours.median >= 20_000),
        ),
    )
    for fixtures in sizes:
        found = fan_out(stack, fixtures, hold_s=20, settle_s=20)
        per_stream_kb = found["rss_mb"] * 1024 / fixtures
        report.add(
            "Producer",
            Row(
                f"fan-out, {fixtures:,} live fixtures ({found['frames_per_s']:,.0f} frames/s): "
                "CPU % of a core, RSS per stream",
                f"{found['cpu_percent']:.1f}%, {per_stream_kb:,.0f} KB",
                f"bare websockets client: {found['bare_cpu_percent']:.1f}%, "
                f"{found['bare_rss_mb'] * 1024 / fixtures:,.0f} KB",
                found["cpu_percent"] / max(found["bare_cpu_percent"], 0.1),
                "< 25%, <= 100 KB" if fixtures >= 1000 else "",
                verdict(found["cpu_percent"] < 25 and per_stream_kb <= 100)
                if fixtures >= 1000
                else "",
            ),
        )
        if fixtures == sizes[len(sizes) // 2]:
            report.add(
                "Producer",
                Row(
                    f"publish latency at {fixtures:,} live fixtures, frame received to Kafka ack",
                    f"p50 <= {found['p50_ms']:.1f} ms, p99 <= {found['p99_ms']:.1f} ms",
                    "",
                    None,
                ),
            )


def latency(stack: Endpoints, report: Report, fixtures: int, repeats: int) -> None:
    for row in feed_mixes(stack, fixtures, repeats):
        report.add(
            "End to end",
            Row(
                f"end to end at {fixtures} live fixtures, {row.mix.name} ({row.frames_per_s:,.0f} "
                "frames/s), producer receipt to derived record received, ms",
                f"p50 {row.p50}, p99 {row.p99}",
                f"one Kafka hop (the raw record): p50 {row.hop_p50}, p99 {row.hop_p99}",
                row.p50.median / row.hop_p50.median,
                "p50 <= 5 ms, p99 <= 20 ms",
                verdict(row.p50.median <= 5 and row.p99.median <= 20),
            ),
        )


def season_rows(
    stack: Endpoints, report: Report, fixtures: int, window: tuple[float, float]
) -> None:
    found, raw = season(stack, fixtures)
    ratio = found.replay_rate / found.pass_through
    report.add(
        "Season and scaling",
        Row(
            f"`sportsfeed replay` of the season's {found.frames:,} raw frames, one worker, "
            "frames/s",
            f"{found.replay_rate:,.0f}",
            f"plain aiokafka consume-parse-produce pass-through: {found.pass_through:,.0f}",
            ratio,
            ">= 20,000 and >= 0.5x",
            verdict(found.replay_rate >= 20_000 and ratio >= 0.5),
        ),
    )
    report.add(
        "Season and scaling",
        Row(
            f"{found.fixtures:,} archived fixtures ({found.frames:,} frames): "
            "`sportsfeed archive import`, then `sportsfeed replay`",
            f"import {found.import_s:.0f} s, replay {found.replay_s:.0f} s",
            "",
            None,
        ),
    )
    single = 0.0
    for count in (1, 2, 4):
        result = scaled(stack, raw, count, *window)
        single = single or result.rate
        report.add(
            "Season and scaling",
            Row(
                f"{count} worker process{'es' if count > 1 else ''} on one topic (4 partitions), "
                f"frames/s committed over {window[1]:.0f} s",
                f"{result.rate:,.0f} (CPU {result.cpu_percent:.0f}% of a core)",
                "1 worker" if count > 1 else "",
                result.rate / single if count > 1 and single else None,
            ),
        )


def replay_rows(stack: Endpoints, report: Report, frames: int, repeats: int) -> None:
    found = replay(stack, frames, repeats)
    consumers = found.consumers
    figure = "frames/s; CPU ms per frame (the process's, from its first record)"
    described = {
        WORKER: "`sportsfeed process` (the Faust worker)",
        QUIX: f"{found.quixstreams.replace('==', ' ')} app over the same pure core (RocksDB "
        "state, at least once), outputs equal to the worker's record for record",
        PLAIN: "plain aiokafka loop over the same pure core (getmany, dict state, commit after "
        "acks), outputs equal to the worker's record for record",
        PASS: "aiokafka consume-parse-produce pass-through (no state, no derivation)",
    }
    bare = consumers[PASS].rate.median
    for name, consumer in consumers.items():
        worker = name == WORKER
        report.add(
            "Replay",
            Row(
                f"{described[name]}: {figure}",
                f"{consumer.rate.text(0)}; {consumer.cpu_ms.text(3)}",
                f"pass-through: {bare:,.0f} frames/s",
                found.ratio(name),
                ">= 0.5x the pass-through" if worker else "",
                verdict(found.ratio(name) >= 0.5) if worker else "",
            ),
        )
    report.add(
        "Replay",
        Row(
            "the worker beside the Quix Streams app, frames/s",
            f"{consumers[WORKER].rate.median:,.0f}",
            f"Quix Streams app: {consumers[QUIX].rate.median:,.0f}",
            found.ratio(WORKER, QUIX),
            ">= 1.0x",
            verdict(found.ratio(WORKER, QUIX) >= 1.0),
        ),
    )
    report.add(
        "Replay",
        Row(
            "a Faust agent that does nothing with the frames (Faust's own per-event floor), "
            "frames/s",
            found.faust_floor.text(0),
            f"pass-through: {bare:,.0f} frames/s",
            found.faust_floor.median / bare,
        ),
    )
    report.note(
        "Replay",
        f"{found.frames:,} raw frames of generated fixtures of all five "
        "sports, read from the first record by each consumer in turn, one process "
        f"each, in each of {repeats} run{'s' if repeats > 1 else ''}; ratios are to the "
        "pass-through's median.",
    )


def fail_safe_rows(stack: Endpoints, report: Report, repeats: int) -> None:
    for fault, figure in fail_safe(stack.registry_url, repeats).items():
        report.add(
            "Fail safe",
            Row(
                f"{fault}: fault to every fixture SUSPENDED at a consumer, s",
                str(figure),
                f"the lease: {LEASE_S:g}",
                None,
                "max <= lease + 1 s",
                verdict(figure.high <= LEASE_S + 1),
            ),
        )
    report.note(
        "Fail safe",
        "A broker of its own (it is stopped), simulated fixtures at live "
        "pace, a producer, one worker and `examples/pricing_consumer.py` as the consumer; "
        f"lease {LEASE_S:g} s, renewed every second; the figure is the time from the "
        "fault until the consumer has printed SUSPEND for every fixture.",
    )


@dataclass(frozen=True)
class Section:
    name: str  # its heading in RESULTS.md
    measure: Callable[[Endpoints, Report], None]


def sections(quick: bool) -> dict[str, Section]:
    """Every benchmark by its `--only` name, in the order of a full run."""
    if quick:
        sizes, repeats, fixtures, window, frames = (20, 50, 100), 1, 100, (10.0, 10.0), 5_000
    else:
        sizes, repeats, fixtures, window, frames = (
            (100, 1000, 2000),
            3,
            FIXTURES,
            (25.0, 30.0),
            FRAMES,
        )
    live = 50 if quick else 500
    return {
        "producer": Section("Producer", lambda s, r: producer(s, r, sizes, repeats)),
        "latency": Section("End to end", lambda s, r: latency(s, r, live, repeats)),
        "replay": Section("Replay", lambda s, r: replay_rows(s, r, frames, repeats)),
        "season": Section("Season and scaling", lambda s, r: season_rows(s, r, fixtures, window)),
        "market": Section("Fail safe", lambda s, r: fail_safe_rows(s, r, repeats)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, one run each: checks every benchmark"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=list(sections(quick=False)),
        help="measure this section only (repeatable); the others in --output are kept",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the table")
    args = parser.parse_args()
    report = Report(machine_facts())
    chosen = {
        name: section
        for name, section in sections(args.quick).items()
        if not args.only or name in args.only
    }
    started = time.monotonic()
    settings = load_settings()
    own = settings.kafka_bootstrap_servers is None or settings.schema_registry_url is None
    where = "a temporary local stack" if own else "the broker and registry the environment names"
    with stack_endpoints(settings, temporary=True) as stack:
        for n, (name, section) in enumerate(chosen.items(), 1):
            print(
                f"[{n}/{len(chosen)}] {section.name} ({time.monotonic() - started:.0f} s so far)",
                flush=True,
            )
            began = time.monotonic()
            section.measure(stack, report)
            command = f"python -m bench --only {name}{' --quick' if args.quick else ''}"
            how = report.notes.get(section.name, "")
            minutes, cpu, day = (
                (time.monotonic() - began) / 60,
                report.facts["cpu"],
                time.strftime("%F"),
            )
            note = f"Measured by `{command}` on {day} in {minutes:.1f} minutes on {cpu}, "
            report.note(section.name, f"{note}against {where}. {how}".rstrip())
    print(report.table())
    old = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    text = merged(old, report.markdown()) if args.only else report.markdown()
    args.output.write_text(text, encoding="utf-8")
    print(f"written to {args.output} in {(time.monotonic() - started) / 60:.1f} minutes")


if __name__ == "__main__":
    main()
