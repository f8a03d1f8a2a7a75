"""Benchmark: the replay's consumers side by side, on the same raw topics, in one run.

Mixed sports' raw frames (with the producer's headers) are published once; then, in each of
`repeats` runs, every consumer reads them all from the first record, in a group of its own,
one process each:

- `sportsfeed process`, the Faust worker;
- `bench.quix_app`, a Quix Streams app over the same pure core (RocksDB state, at least once),
  in a virtualenv of its own (`bench.quix_env`);
- `bench.plain_loop`, the same core under a plain aiokafka loop (dict state, commit after acks);
- the aiokafka consume-parse-produce pass-through (no state, no derivation);
- a Faust agent that does nothing (`bench.noop_agent`): Faust's own per-event floor.

The Quix app's and the plain loop's outputs must equal the worker's, record for record (per
output topic and fixture, the Avro bodies in order), or the run fails. Figures: frames/s from
the first record to the last output (the worker's: the span of its outputs' timestamps) and
CPU ms per frame, the process's CPU time (every thread) from its first record to its end over
the frames: start-up (imports, joining the group, opening state) is left out of both, and the
worker's is printed apart.

Run: `python -m bench.replay` (starts a temporary local stack unless KAFKA_BOOTSTRAP_SERVERS
and SCHEMA_REGISTRY_URL name one), or `python -m bench --only replay`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from bench.consumer_cli import consumer_argv
from bench.measure import Spread, spread
from bench.processor import (
    DERIVED,
    _faust_floor,
    _pass_through,
    _publish_catalogue,
    _replay_once,
)
from bench.producer import PARTITIONS
from bench.quix_env import QUIXSTREAMS, quix_env, quix_python
from schemas.serde import HEADER
from sportsfeed.core.admin import ensure_topics
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import load_settings
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed
from sportsfeed.stack.local import stack_endpoints

FRAMES = 60_000
WORKER, QUIX, PLAIN, PASS = "worker", "Quix Streams app", "plain aiokafka loop", "pass-through"
Outputs = dict[tuple[str, bytes], list[bytes]]  # (output, fixture key): Avro bodies in order


def differing(mine: Outputs, theirs: Outputs) -> list[tuple[str, bytes]]:
    """The (output, fixture) pairs whose records differ, missing ones included; sorted."""
    return sorted(key for key in mine.keys() | theirs.keys() if mine.get(key) != theirs.get(key))


async def _outputs(stack: Endpoints, topics: Topics) -> Outputs:
    """Every derived record's Avro body (the schema id left out), per output and fixture."""
    found: Outputs = {}
    for name in DERIVED:
        consumer = AIOKafkaConsumer(
            getattr(topics, name),
            **stack.kafka(auto_offset_reset="earliest", enable_auto_commit=False),
        )
        await consumer.start()
        try:
            while batch := await consumer.getmany(timeout_ms=2000, max_records=50_000):
                for message in (m for ms in batch.values() for m in ms):
                    found.setdefault((name, message.key), []).append(message.value[HEADER.size :])
        finally:
            await consumer.stop()
    return found


def check_same(worker: Outputs, stack: Endpoints, name: str, prefix: str) -> None:
    """A baseline counts only if it wrote the worker's records, record for record."""
    differ = differing(worker, asyncio.run(_outputs(stack, Topics(prefix))))
    if differ:
        raise RuntimeError(
            f"the {name}'s output differs from the worker's for {len(differ)} "
            f"fixtures' outputs, e.g. {differ[:3]}"
        )
    print(f"    {name}: the same {sum(map(len, worker.values())):,} records as the worker")


@dataclass(frozen=True)
class Measured:
    """One consumer's run: frames/s, CPU ms per frame, and where it wrote."""

    rate: float
    cpu_ms: float
    prefix: str = ""


def _finished(argv: list[str], env: dict[str, str] | None, line: str) -> re.Match[str]:
    """Run a consumer process to its end; the line it printed matching `line`."""
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900, check=False)
    found = re.search(line, done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(
            f"{argv[2]} did not finish (exit {done.returncode}): "
            f"{(done.stdout + done.stderr)[-2000:]}"
        )
    return found


def _consumer_argv(
    python: Path | str, module: str, stack: Endpoints, raw: Topics, prefix: str, frames: int
) -> list[str]:
    return consumer_argv(
        str(python), module, stack.bootstrap_servers, stack.registry_url, raw.prefix, prefix, frames
    )


def _quix(stack: Endpoints, raw: Topics, frames: int, python: Path) -> Measured:
    prefix = f"quix{time.time_ns()}."
    asyncio.run(ensure_topics(stack, Topics(prefix), PARTITIONS, 1, -1))
    argv = _consumer_argv(python, "bench.quix_app", stack, raw, prefix, frames)
    found = _finished(argv, quix_env(), r"FRAMES (\d+) SECONDS ([0-9.]+) CPU ([0-9.]+)")
    return Measured(int(found[1]) / float(found[2]), 1000 * float(found[3]) / int(found[1]), prefix)


def _plain(stack: Endpoints, raw: Topics, frames: int) -> Measured:
    prefix = f"plain{time.time_ns()}."
    asyncio.run(ensure_topics(stack, Topics(prefix), PARTITIONS, 1, -1))
    argv = _consumer_argv(sys.executable, "bench.plain_loop", stack, raw, prefix, frames)
    found = _finished(argv, None, r"RATE ([0-9.]+) CPU ([0-9.]+)")
    return Measured(float(found[1]), float(found[2]), prefix)


def _worker(stack: Endpoints, raw: Topics, frames: int, run: int) -> Measured:
    found = _replay_once(stack, raw, run)
    return Measured(frames / found.seconds, 1000 * found.cpu_s / frames, found.prefix)


def _bare(stack: Endpoints, raw: Topics, frames: int, run: int) -> Measured:
    out = Topics(f"pass{run}x{time.time_ns()}.")
    asyncio.run(ensure_topics(stack, out, PARTITIONS, 1, -1))
    # in this process, which does nothing else meanwhile
    rate, cpu = asyncio.run(_pass_through(stack, raw, out.raw(Feed.ACTIONS), frames))
    return Measured(rate, 1000 * cpu / frames)


@dataclass(frozen=True)
class Consumer:
    rate: Spread  # frames/s
    cpu_ms: Spread  # per frame, start-up included


@dataclass(frozen=True)
class Replay:
    frames: int
    consumers: dict[str, Consumer]  # WORKER, QUIX, PLAIN, PASS
    faust_floor: Spread  # frames/s of a Faust agent doing nothing
    quixstreams: str  # the Quix Streams requirement measured

    def ratio(self, name: str, to: str = PASS) -> float:
        return self.consumers[name].rate.median / self.consumers[to].rate.median


def replay(stack: Endpoints, frames: int = FRAMES, repeats: int = 3) -> Replay:
    python = quix_python(load_settings().cache_dir)
    raw = Topics(f"raw{int(time.time())}.")
    asyncio.run(ensure_topics(stack, raw, PARTITIONS, 1, -1))
    frames = asyncio.run(_publish_catalogue(stack, raw, frames))
    print(f"  replay: {frames:,} raw frames published under {raw.prefix}", flush=True)
    runs: dict[str, list[Measured]] = {WORKER: [], QUIX: [], PLAIN: [], PASS: []}
    floors = []
    for run in range(1, repeats + 1):
        floors.append(_faust_floor(stack, raw, frames))
        runs[WORKER].append(_worker(stack, raw, frames, run))
        worker = asyncio.run(_outputs(stack, Topics(runs[WORKER][-1].prefix)))
        runs[QUIX].append(_quix(stack, raw, frames, python))
        check_same(worker, stack, QUIX, runs[QUIX][-1].prefix)
        runs[PLAIN].append(_plain(stack, raw, frames))
        check_same(worker, stack, PLAIN, runs[PLAIN][-1].prefix)
        runs[PASS].append(_bare(stack, raw, frames, run))
        print(
            f"  run {run}: "
            + ", ".join(
                f"{name} {found[-1].rate:,.0f} frames/s {found[-1].cpu_ms:.3f} CPU ms/frame"
                for name, found in runs.items()
            )
            + f", no-op Faust agent {floors[-1]:,.0f} frames/s",
            flush=True,
        )
    consumers = {
        name: Consumer(spread([m.rate for m in found]), spread([m.cpu_ms for m in found]))
        for name, found in runs.items()
    }
    return Replay(frames, consumers, spread(floors), QUIXSTREAMS)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.replay", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--frames", type=int, default=FRAMES, help="raw frames replayed")
    parser.add_argument("--repeats", type=int, default=3, help="runs (medians)")
    args = parser.parse_args()
    with stack_endpoints(load_settings(), temporary=True) as stack:
        found = replay(stack, args.frames, args.repeats)
    print(f"replay of {found.frames:,} frames, median (min, max):")
    for name, consumer in found.consumers.items():
        print(
            f"  {name:<20} {consumer.rate.text(0)} frames/s, "
            f"CPU {consumer.cpu_ms.text(3)} ms per frame, "
            f"{found.ratio(name):.2f}x the pass-through"
        )
    print(f"  no-op Faust agent    {found.faust_floor.text(0)} frames/s")
    print(f"  worker / Quix Streams app: {found.ratio(WORKER, QUIX):.2f}")


if __name__ == "__main__":
    main()
