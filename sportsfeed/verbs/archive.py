"""`sportsfeed archive export|import`: raw frames to compressed JSON Lines files and back.

An archive is a folder laid out as the simulator's recorded fixtures are,
`DIR/{sport}/{fixtureId}/{feed}.jsonl.gz`, one raw frame per line, byte for byte, so
`sportsfeed simulate --recorded DIR` serves archived matches as live websockets again. Beside
each, `{feed}.headers.jsonl.gz` holds each frame's Kafka headers (and, for the rare frame with a
line break, the exact frame, which the frames file holds with spaces), so `import` publishes
the records exactly as they were.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import gzip
import shutil
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from sportsfeed.core.admin import ensure_topics, require_topics
from sportsfeed.core.errors import SettingsError
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.log_noise import output_only
from sportsfeed.core.settings import ClusterSettings
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.stack.local import stack_endpoints
from sportsfeed.verbs.arguments import iso_time

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class Selection:
    """Which raw records: some fixtures (all if empty), in a time range of record timestamps."""

    fixtures: frozenset[str] = frozenset()
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Selection:
        return cls(frozenset(args.fixture), args.since, getattr(args, "until", None))

    def __contains__(self, message: Any) -> bool:
        stamp = message.timestamp
        return (
            (not self.fixtures or message.key.decode() in self.fixtures)
            and (self.since is None or stamp >= _ms(self.since))
            and (self.until is None or stamp < _ms(self.until))
        )


@dataclass(frozen=True)
class RawRecord:
    key: bytes
    value: bytes
    headers: Headers


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "archive",
        help="export raw frames to files, or import them back",
        description="Export the raw topics' frames and headers to DIR/{sport}/{fixtureId}/"
        "{feed}.jsonl.gz (what `sportsfeed simulate --recorded DIR` serves), or import such a "
        "directory back into the raw topics exactly as the records were.",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        help="raw topics -> DIR/{sport}/{fixtureId}/*.jsonl.gz",
        description="Write the raw frames (all, or a selection) and their headers under DIR.",
    )
    export.add_argument("directory", type=Path, help="where to write (created if missing)")
    export.add_argument("--fixture", action="append", default=[], help="only this fixture (repeat)")
    export.add_argument("--since", type=iso_time, help="records from (ISO time)")
    export.add_argument("--until", type=iso_time, help="records before (ISO time)")
    export.set_defaults(verb=run_export)
    imported = actions.add_parser(
        "import",
        help="DIR -> the raw topics, headers included",
        description="Publish an exported archive's frames to the raw topics "
        "(SPORTSFEED_TOPIC_PREFIX), keyed and with the headers they had.",
    )
    imported.add_argument("directory", type=Path, help="a directory an export wrote")
    imported.set_defaults(verb=run_import)


def run_export(args: argparse.Namespace, settings: ClusterSettings) -> int:
    with (
        _made_or_removed(args.directory),
        output_only(settings),
        stack_endpoints(settings) as endpoints,
    ):
        topics = Topics(settings.topic_prefix)
        selection = Selection.from_args(args)
        streams = asyncio.run(read_raw(endpoints, topics, settings.partitions, selection))
    for (fixture_id, feed), records in sorted(
        streams.items(), key=lambda item: (item[0][0], item[0][1].value)
    ):
        write_stream(args.directory, fixture_id, feed, records)
    frames, fixtures = sum(map(len, streams.values())), len({f for f, _ in streams})
    print(f"exported {frames:,} frames of {fixtures:,} fixtures to {args.directory}")  # noqa: T201
    return 0


def run_import(args: argparse.Namespace, settings: ClusterSettings) -> int:
    streams = read_archive(args.directory)
    with output_only(settings), stack_endpoints(settings) as endpoints:
        asyncio.run(publish(endpoints, settings, Topics(settings.topic_prefix), streams))
    print(f"imported {sum(map(len, streams.values())):,} frames")  # noqa: T201
    return 0


@contextlib.contextmanager
def _made_or_removed(directory: Path) -> Iterator[None]:
    """The export's directory made before Kafka is read (a path it cannot write is named at
    once), and removed again, if it made it, when the export fails before writing."""
    made = not directory.exists()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            f"DIRECTORY {directory} cannot be created ({exc.strerror}); "
            "give a directory you can write to"
        ) from exc
    try:
        yield
    except BaseException:
        if made:
            shutil.rmtree(directory, ignore_errors=True)
        raise


def write_stream(directory: Path, fixture_id: str, feed: Feed, records: list[RawRecord]) -> None:
    sport = Sport(dict(records[0].headers)["sport"].decode())
    folder = directory / sport.slug / fixture_id
    folder.mkdir(parents=True, exist_ok=True)
    lines, sidecar = [], []
    for record in records:
        framed = b"\n" in record.value or b"\r" in record.value
        # JSON allows a space wherever it allows a line break: the simulator serves an equal frame
        lines.append(record.value.replace(b"\r", b" ").replace(b"\n", b" "))
        side: dict[str, Any] = {"headers": [[k, _text(v)] for k, v in record.headers]}
        if framed:
            side["value"] = _text(record.value)
        sidecar.append(orjson.dumps(side))
    (folder / f"{feed.value}.jsonl.gz").write_bytes(
        gzip.compress(b"\n".join(lines) + b"\n", mtime=0)
    )
    (folder / f"{feed.value}.headers.jsonl.gz").write_bytes(
        gzip.compress(b"\n".join(sidecar) + b"\n", mtime=0)
    )


def read_archive(directory: Path) -> dict[tuple[str, Feed], list[RawRecord]]:
    """Every stream of the archive in `directory`; SettingsError if there is none to read."""
    if not directory.is_dir():
        raise SettingsError(f"{directory} is not a directory; give the DIR an export wrote")
    streams: dict[tuple[str, Feed], list[RawRecord]] = {}
    for frames_file in sorted(directory.glob("*/*/*.jsonl.gz")):
        if frames_file.name.endswith(".headers.jsonl.gz"):
            continue
        feed = Feed(frames_file.name.removesuffix(".jsonl.gz"))
        fixture_id = frames_file.parent.name
        lines = gzip.decompress(frames_file.read_bytes()).split(b"\n")[:-1]
        sidecar_file = frames_file.with_name(f"{feed.value}.headers.jsonl.gz")
        sides = gzip.decompress(sidecar_file.read_bytes()).split(b"\n")[:-1]
        if len(sides) != len(lines):
            raise SettingsError(f"{sidecar_file}: {len(sides)} lines for {len(lines)} frames")
        records = []
        for line, side_line in zip(lines, sides, strict=True):
            side = orjson.loads(side_line)
            value = _bytes(side["value"]) if "value" in side else line
            headers = [(k, _bytes(v)) for k, v in side["headers"]]
            records.append(RawRecord(fixture_id.encode(), value, headers))
        streams[fixture_id, feed] = records
    if not streams:
        raise SettingsError(
            f"{directory} holds no archive (no {{sport}}/{{fixtureId}}/{{feed}}.jsonl.gz files); "
            "give the DIR an export wrote"
        )
    return streams


def _text(data: bytes) -> str:
    """Header values are text; anything else is kept as base64 behind a marker."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(data).decode()
    return "text:" + text


def _bytes(text: str) -> bytes:
    kind, _, body = text.partition(":")
    return base64.b64decode(body) if kind == "base64" else body.encode("utf-8")


async def read_raw(
    endpoints: Endpoints, topics: Topics, partition_count: int, selection: Selection
) -> dict[tuple[str, Feed], list[RawRecord]]:
    """The selected raw records, per stream, in stream order."""
    await require_topics(endpoints, [topics.raw(feed) for feed in Feed])  # or say what is wrong
    streams: dict[tuple[str, Feed], list[RawRecord]] = defaultdict(list)
    for feed in Feed:
        consumer = AIOKafkaConsumer(  # committed frames: an aborted transaction's are repeats
            **endpoints.kafka(
                auto_offset_reset="earliest",
                enable_auto_commit=False,
                isolation_level="read_committed",
            )
        )
        await consumer.start()
        try:
            partitions = [TopicPartition(topics.raw(feed), p) for p in range(partition_count)]
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            while not await _reached(consumer, ends):
                batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
                for message in (m for ms in batch.values() for m in ms):
                    if message in selection:
                        streams[message.key.decode(), feed].append(
                            RawRecord(message.key, message.value, list(message.headers))
                        )
        finally:
            await consumer.stop()
    return streams


async def _reached(consumer: AIOKafkaConsumer, ends: dict[Any, int]) -> bool:
    positions = [await consumer.position(tp) for tp in ends]
    return all(position >= end for position, end in zip(positions, ends.values(), strict=True))


def _ms(moment: dt.datetime) -> int:
    return int(moment.replace(tzinfo=moment.tzinfo or dt.UTC).timestamp() * 1000)


async def publish(
    endpoints: Endpoints,
    settings: ClusterSettings,
    topics: Topics,
    streams: dict[tuple[str, Feed], list[RawRecord]],
) -> None:
    """Each stream's records into its raw topic, in order, exactly as they are."""
    await ensure_topics(
        endpoints, topics, settings.partitions, settings.replication, settings.raw_retention_ms
    )
    producer = AIOKafkaProducer(**endpoints.kafka(acks="all", enable_idempotence=True))
    await producer.start()
    try:
        for (_, feed), records in streams.items():
            for record in records:
                await producer.send(
                    topics.raw(feed), record.value, key=record.key, headers=record.headers
                )
        await producer.flush()
    finally:
        await producer.stop()
