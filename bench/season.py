"""Benchmark: a season of archived fixtures rebuilt with the real commands, and worker scaling.

- season: generated fixtures (1,000 by default) written as an archive in `sportsfeed archive`'s
  layout, published by `sportsfeed archive import`, and rebuilt by `sportsfeed replay` into
  new derived topics (one worker): the wall time of each command, and the replay's frames/s,
  beside a plain aiokafka consume-parse-produce pass-through of the same raw topics;
- scaling: 1, 2 and 4 `sportsfeed process` workers on the season's raw topics, frames/s
  committed by the group over a window once every worker is running.

Run: `python -m bench.season` (starts a temporary local stack), or as part of `python -m bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.measure import usage
from bench.processor import PROCESS, _pass_through, _worker_env
from bench.producer import PARTITIONS
from producers.protocol import StreamId, raw_headers
from sportsfeed.core.admin import ensure_topics
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import load_settings
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Channel, Feed
from sportsfeed.simulator.catalogue import generate_catalogue
from sportsfeed.stack.local import stack_endpoints
from sportsfeed.verbs.archive import RawRecord, write_stream
from sportsfeed.verbs.progress import group_progress, raw_partitions

FIXTURES = 1_000
SPORTSFEED = [sys.executable, "-m", "sportsfeed"]
CHUNK = 50  # fixtures generated at a time: a season's frames do not fit in memory at once


def write_season(directory: Path, fixtures: int) -> int:
    """`fixtures` generated fixtures as an archive in `directory`; how many frames."""
    frames = 0
    for seed in range(1, fixtures // CHUNK + 2):
        count = min(CHUNK, fixtures - (seed - 1) * CHUNK)
        if count <= 0:
            break
        for fixture in generate_catalogue(count, 1000 + seed).values():
            for feed in Feed:
                stream = StreamId(fixture.fixture_id, fixture.sport, feed)
                key = fixture.fixture_id.encode()
                records = [
                    RawRecord(
                        key,
                        frame.text.encode(),
                        raw_headers(
                            stream,
                            Channel.BETTING,
                            position,
                            time.time_ns() // 1000,
                            "ws://bench",
                        ),
                    )
                    for position, frame in enumerate(fixture.stream(feed).frames, 1)
                ]
                write_stream(directory, fixture.fixture_id, feed, records)
                frames += len(records)
    return frames


def _env(stack: Endpoints, prefix: str) -> dict[str, str]:
    return _worker_env(stack, prefix, prefix)


def _timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(argv, env=env, check=True, timeout=1800, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


@dataclass(frozen=True)
class Season:
    fixtures: int
    frames: int
    import_s: float
    replay_s: float
    pass_through: float  # frames/s

    @property
    def replay_rate(self) -> float:
        return self.frames / self.replay_s


def imported_season(stack: Endpoints, fixtures: int) -> tuple[Topics, int, float]:
    """A season archived and published by `sportsfeed archive import`: its raw topics, its
    frame count and the import's wall time."""
    prefix = f"season{int(time.time())}."
    with tempfile.TemporaryDirectory(prefix="sportsfeed-season-") as directory:
        frames = write_season(Path(directory), fixtures)
        print(f"  season: {fixtures:,} fixtures, {frames:,} frames archived", flush=True)
        argv = [*SPORTSFEED, "archive", "import", directory]
        imported = _timed(argv, _env(stack, prefix))
    print(f"  season: imported in {imported:.1f} s", flush=True)
    return Topics(prefix), frames, imported


def season(stack: Endpoints, fixtures: int = FIXTURES) -> tuple[Season, Topics]:
    """Archive, import and replay a season; the figures and the raw topics it left."""
    raw, frames, imported = imported_season(stack, fixtures)
    argv = [*SPORTSFEED, "replay", "--to-prefix", f"re{raw.prefix}"]
    replayed = _timed(argv, _env(stack, raw.prefix))
    print(f"  season: replayed in {replayed:.1f} s", flush=True)
    out = Topics(f"pass{raw.prefix}")
    asyncio.run(ensure_topics(stack, out, PARTITIONS, 1, -1))
    bare, _ = asyncio.run(_pass_through(stack, raw, out.raw(Feed.ACTIONS), frames))
    return Season(fixtures, frames, imported, replayed, bare), raw


@dataclass(frozen=True)
class Scaled:
    workers: int
    rate: float  # frames/s committed over the window
    cpu_percent: float  # of one core, all workers together


def scaled(
    stack: Endpoints, raw: Topics, workers: int, warm_up_s: float = 25, window_s: float = 30
) -> Scaled:
    """Frames/s that `workers` processes commit together, once all have joined and started."""
    prefix = f"scale{workers}x{int(time.time())}."
    asyncio.run(ensure_topics(stack, Topics(prefix), PARTITIONS, 1, -1))
    group, partitions = Topics(prefix).processor_group, raw_partitions(raw, PARTITIONS)

    def committed() -> int:
        return sum(asyncio.run(group_progress(stack, group, partitions)).committed.values())

    processes = [
        subprocess.Popen(PROCESS, env=_worker_env(stack, prefix, raw.prefix))
        for _ in range(workers)
    ]
    try:
        time.sleep(warm_up_s)  # joining, rebalancing as each worker arrives
        first, cpu_first = committed(), _cpu(processes)
        started = time.monotonic()
        time.sleep(window_s)
        last, cpu_last = committed(), _cpu(processes)
        elapsed = time.monotonic() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(60)
    return Scaled(workers, (last - first) / elapsed, 100 * (cpu_last - cpu_first) / elapsed)


def _cpu(processes: list[subprocess.Popen[bytes]]) -> float:
    return sum(usage(process.pid).cpu_seconds for process in processes)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.season", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--fixtures", type=int, default=FIXTURES, help="fixtures in the season")
    parser.add_argument("--scaling-only", action="store_true", help="import, then scaling only")
    args = parser.parse_args()
    with stack_endpoints(load_settings(), temporary=True) as stack:
        if args.scaling_only:
            raw, _, _ = imported_season(stack, args.fixtures)
        else:
            found, raw = season(stack, args.fixtures)
            print(
                f"season of {found.fixtures:,} fixtures ({found.frames:,} frames): import "
                f"{found.import_s:.1f} s, replay {found.replay_s:.1f} s "
                f"({found.replay_rate:,.0f} frames/s; "
                f"pass-through {found.pass_through:,.0f})"
            )
        for workers in (1, 2, 4):
            result = scaled(stack, raw, workers)
            print(
                f"{workers} worker(s): {result.rate:,.0f} frames/s, "
                f"CPU {result.cpu_percent:.0f}% of a core"
            )


if __name__ == "__main__":
    main()
