"""`sportsfeed replay`: rebuild the derived topics from the raw topics, under another prefix.

A replay is a processor worker reading the raw topics of SPORTSFEED_TOPIC_PREFIX (or --from-
prefix) and writing fixture-score, period-delta and fixture-finished under --to-prefix, with a
consumer group and table of its own, from the raw topics' beginning. With --fixture or --since,
the selected raw records are first copied to `<to-prefix>selected.raw.*` and replayed from
there (from a time, each fixture's state starts empty at that time). Derivations depend only on
the raw frames, so a replay of a live run's raw topics gives the live run's records again.
Progress (offsets done, rate, time left) comes from the worker's committed offsets.

A prefix that already holds a replay is refused (its group has committed everything, so a
second replay would add nothing): give a new one, or --replace to delete its topics and
consumer groups first; --delete only deletes them. A prefix whose raw topics hold frames (a
pipeline's, not a replay's) is never deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from processors.agents import EXIT_STALLED
from sportsfeed.core.admin import ensure_topics
from sportsfeed.core.errors import SettingsError
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.log_noise import output_only
from sportsfeed.core.markers import RecordProbe
from sportsfeed.core.settings import ClusterSettings
from sportsfeed.core.topics import Topics
from sportsfeed.stack.local import stack_endpoints
from sportsfeed.stack.processes import Child
from sportsfeed.verbs.archive import Selection, publish, read_raw
from sportsfeed.verbs.arguments import iso_time, positive_int, topic_prefix
from sportsfeed.verbs.process import spawn_worker, stop_worker
from sportsfeed.verbs.progress import GroupWatch, raw_partitions
from sportsfeed.verbs.replay_topics import delete_replay, derived_topics, held_records

POLL_S = 1.0


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "replay",
        help="rebuild fixture-score, period-delta and fixture-finished from the raw topics",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--to-prefix",
        required=True,
        type=topic_prefix,
        help="prefix of the rebuilt topics, e.g. replay1. (a separator is added if missing)",
    )
    parser.add_argument(
        "--from-prefix",
        type=topic_prefix,
        help="prefix of the raw topics (default: SPORTSFEED_TOPIC_PREFIX)",
    )
    parser.add_argument(
        "--fixture",
        action="append",
        default=[],
        help="only this fixture (repeat for more; default: all)",
    )
    parser.add_argument(
        "--since",
        type=iso_time,
        help="only records from this ISO time (state starts empty; default: from the start)",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="worker processes sharing the replay (at most the partition "
        "count: SPORTSFEED_PARTITIONS)",
    )
    again = parser.add_mutually_exclusive_group()
    again.add_argument(
        "--replace",
        action="store_true",
        help="delete the topics and consumer groups under --to-prefix first, "
        "then replay (a used prefix is refused without it)",
    )
    again.add_argument(
        "--delete",
        action="store_true",
        help="only delete the topics and consumer groups under --to-prefix "
        "(refused for a prefix whose raw topics hold frames)",
    )
    parser.set_defaults(verb=run)


@dataclass(frozen=True)
class Span:
    """The raw records to replay: per partition, where it starts and ends (after its last
    record). Offsets count the producers' transaction markers as well as the frames."""

    start: dict[TopicPartition, int]
    end: dict[TopicPartition, int]

    @property
    def total(self) -> int:
        return sum(self.end[tp] - self.start[tp] for tp in self.end)


def run(args: argparse.Namespace, settings: ClusterSettings) -> int:
    source = args.from_prefix or settings.topic_prefix
    _refuse_a_pipeline_prefix(args, source, settings.topic_prefix)
    selection = Selection.from_args(args)
    with output_only(settings), stack_endpoints(settings) as endpoints:
        console = Console(soft_wrap=True)  # a line piped to a log stays one line
        if args.delete or args.replace:
            deleted = asyncio.run(delete_replay(endpoints, args.to_prefix))
            console.print(
                f"deleted {len(deleted)} topics under {args.to_prefix} and the "
                "replay's consumer groups"
                if deleted
                else f"no replay under {args.to_prefix}: nothing to delete"
            )
            if args.delete:
                return 0
        asyncio.run(_refuse_a_used_prefix(endpoints, args.to_prefix))
        if selection != Selection():
            source = asyncio.run(_select(settings, endpoints, source, args.to_prefix, selection))
        return asyncio.run(
            replay(settings, endpoints, source, args.to_prefix, console, args.workers)
        )


def _refuse_a_pipeline_prefix(args: argparse.Namespace, source: str, own: str) -> None:
    if args.to_prefix == source:
        raise SettingsError(
            f"--to-prefix {args.to_prefix} is where the raw topics are; give "
            "another prefix, e.g. --to-prefix replay1."
        )
    if (args.delete or args.replace) and args.to_prefix == own:
        raise SettingsError(
            f"--to-prefix {args.to_prefix} is SPORTSFEED_TOPIC_PREFIX, the "
            "pipeline's own: --delete and --replace never delete it"
        )


async def _refuse_a_used_prefix(endpoints: Endpoints, target: str) -> None:
    """A replay into a prefix that holds one would find its group's commits at the end and add
    nothing: say so, and what to do."""
    held = await held_records(endpoints, derived_topics(Topics(target)))
    if held:
        listed = ", ".join(f"{count:,} records in {topic}" for topic, count in held.items())
        raise SettingsError(
            f"--to-prefix {target} already holds a replay ({listed}); give a new "
            "--to-prefix, or add --replace to delete its topics and replay again (--delete "
            "only deletes them)"
        )


async def _select(
    settings: ClusterSettings, endpoints: Endpoints, source: str, target: str, selection: Selection
) -> str:
    """Copy the selected raw records to raw topics of their own; their prefix."""
    chosen = f"{target}selected."
    streams = await read_raw(endpoints, Topics(source), settings.partitions, selection)
    if not streams:
        raise SettingsError(
            f"no raw frames of {source}raw.* match --fixture and --since; "
            "check the fixture ids (e.g. with `sportsfeed tail feed-status`) "
            "and the times"
        )
    await publish(endpoints, settings, Topics(chosen), streams)
    return chosen


async def replay(
    settings: ClusterSettings,
    endpoints: Endpoints,
    source: str,
    target: str,
    console: Console,
    workers: int = 1,
) -> int:
    """Replay with `workers` processes in one group (more than the partitions would idle)."""
    raw, out = Topics(source), Topics(target)
    for topics in (raw, out):
        await ensure_topics(
            endpoints, topics, settings.partitions, settings.replication, settings.raw_retention_ms
        )
    span = await _span(endpoints, raw, settings.partitions)
    count = min(workers, settings.partitions)
    if count < workers:
        console.print(
            f"{workers} workers asked, {count} used: the raw topics have "
            f"{settings.partitions} partitions each"
        )
    console.print(
        f"replaying {span.total:,} raw offsets of {source}raw.* into {target}* with "
        f"{count} worker process{'es' if count > 1 else ''}"
    )
    env = {
        "SPORTSFEED_TOPIC_PREFIX": target,
        "SPORTSFEED_RAW_TOPIC_PREFIX": source,
        "SPORTSFEED_LOG_LEVEL": "WARNING",
    }
    crew = Crew(endpoints, env, console)
    started = time.monotonic()
    try:
        crew.start(count)
        done = await _follow(endpoints, out.processor_group, span, crew, console)
    finally:
        await crew.stop(settings.shutdown_grace_s)
    elapsed = time.monotonic() - started
    if not done:
        codes = ", ".join(str(p.returncode) for p in crew.processes)
        console.print(f"a replay worker stopped early (exits: {codes})")
        return 1
    rate = span.total / elapsed
    console.print(
        f"replayed {span.total:,} offsets (frames and transaction markers) in "
        f"{elapsed:.1f} s ({rate:,.0f}/s, start-up included)"
    )
    return 0


async def _span(endpoints: Endpoints, raw: Topics, partitions: int) -> Span:
    consumer = AIOKafkaConsumer(**endpoints.kafka())
    await consumer.start()
    try:
        tps = raw_partitions(raw, partitions)
        start = await consumer.beginning_offsets(tps)
        end = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    probe = RecordProbe(endpoints)  # a worker's commits end at the last record, before markers
    try:
        end = {tp: await probe.end_of_records(tp, start[tp], end[tp]) for tp in tps}
    finally:
        await probe.close()
    return Span(start, end)


class Crew:
    """The replay's worker processes. One that ends itself as stalled is started again, as an
    orchestrator restarts a live worker: it resumes from the group's committed offsets."""

    def __init__(self, endpoints: Endpoints, env: dict[str, str], console: Console) -> None:
        self.endpoints, self.env, self.console = endpoints, env, console
        self.processes: list[Child] = []

    def start(self, count: int) -> None:
        self.processes = [self._spawn() for _ in range(count)]

    async def working(self) -> bool:
        """False once a worker ended for any other reason than a stall."""
        for i, process in enumerate(self.processes):
            if process.returncode == EXIT_STALLED:
                self.console.print("a replay worker stalled and ended itself; starting another")
                self.processes[i] = self._spawn()
            elif process.returncode is not None:
                return False
        return True

    async def stop(self, grace_s: float) -> None:
        await asyncio.gather(*(stop_worker(p, grace_s) for p in self.processes))

    def _spawn(self) -> Child:
        data_dir = tempfile.mkdtemp(prefix="sportsfeed-replay-")  # state comes from changelogs
        return spawn_worker(
            self.endpoints, subprocess.DEVNULL, **self.env, SPORTSFEED_DATA_DIR=data_dir
        )


async def _follow(
    endpoints: Endpoints, group: str, span: Span, crew: Crew, console: Console
) -> bool:
    """Show the workers' committed progress until they have every raw record (True), or until
    one of them ends for good."""
    columns = (
        TextColumn("{task.description:>16}"),  # offsets: the frames and the markers between them
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8,.0f}/s"),
        TimeRemainingColumn(),
    )
    async with GroupWatch(endpoints, group, list(span.end)) as watch:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("workers starting", total=span.total, rate=0.0)
            first: tuple[float, int] | None = None
            while await crew.working():
                committed = await watch.committed()
                done = sum(
                    max(0, min(committed[tp] or span.start[tp], end) - span.start[tp])
                    for tp, end in span.end.items()
                )
                now = time.monotonic()
                first = first or (now, done)  # the rate counts from the worker's start
                rate = (done - first[1]) / (now - first[0]) if first and now > first[0] else 0.0
                shown = "offsets" if done else "workers starting"
                progress.update(task, description=shown, completed=done, rate=rate)
                if done >= span.total:
                    return True
                await asyncio.sleep(POLL_S)
    return False
