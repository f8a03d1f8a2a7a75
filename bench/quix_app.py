"""Benchmark baseline: the processor's pure core as a Quix Streams application, no Faust.

What a user would pick instead of Faust: one Quix Streams app over both raw topics (two
dataframes concatenated, so a fixture's state sees both feeds), a stateful `apply` calling
`parse`, `read_meta` and `apply` with each fixture's state in Quix's RocksDB store (stored
with the worker's own `encode_state`), every output produced keyed by fixtureId to its topic
in the same Avro encoding (`AvroWriter` as the topic's serializer), no headers on the outputs
(the worker writes none), at-least-once with Quix's default checkpointing and changelog.

Quix Streams pins pydantic below the project's pins, so this runs in a virtualenv of its own
(`bench.quix_env`) with the repository on PYTHONPATH: it imports only the pure modules, never
Faust, aiokafka or pydantic. Run by `bench.replay`; prints "FRAMES <n>" once it has
processed `--frames` raw records and committed them, with the seconds and the CPU seconds
(every thread: librdkafka's too) from the first record to that commit.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from typing import Any

from quixstreams import Application, message_context
from quixstreams.models import SerializationContext, Serializer
from quixstreams.models.topics import Topic
from quixstreams.state import State
from quixstreams.state.rocksdb import RocksDBOptions

from bench.consumer_cli import consumer_arguments
from bench.measure import cpu_seconds
from processors.derive.fixture import Derived, FixtureState, apply, decode_state, encode_state
from processors.frames import BadFrame, parse, read_meta
from schemas.outputs import DERIVED, Output
from schemas.registration import writers
from schemas.serde import AvroWriter
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed

STATE_KEY = b"fixture"  # bytes: the store keeps keys as given (its dumps is the identity)


class AvroValue(Serializer):  # type: ignore[misc]
    """An output's value: (output, record) encoded by that output's writer."""

    def __init__(self, codec: AvroWriter[Any]) -> None:
        super().__init__()
        self.codec = codec

    def __call__(self, value: tuple[Output[Any], Derived], ctx: SerializationContext) -> bytes:
        return self.codec.encode(value[1])


class Deriver:
    """The stateful step: a raw record in, its outputs out; stops the app after `frames`."""

    def __init__(self, app: Application, feeds: dict[str, Feed], frames: int) -> None:
        self.app, self.feeds, self.frames, self.done = app, feeds, frames, 0
        self.started, self.cpu = 0.0, 0.0

    def __call__(
        self, value: bytes, key: bytes, timestamp: int, headers: Any, state: State
    ) -> list[tuple[Output[Any], Derived]]:
        self.done += 1
        if self.done == 1:
            self.started, self.cpu = time.monotonic(), cpu_seconds()
        if self.done >= self.frames:
            self.app.stop()  # after this record: Quix then commits its checkpoint
        try:
            frame = parse(self.feeds[message_context().topic], value or b"")
            stored = state.get(STATE_KEY)
            before = decode_state(stored) if stored is not None else FixtureState()
            applied = apply(before, frame, read_meta(headers or []))
        except BadFrame:
            return []  # none in the benchmark's generated frames
        if applied.repeat:
            return []
        state.set(STATE_KEY, encode_state(applied.state))
        return applied.outputs


def build(
    bootstrap: str, registry_url: str, raw: Topics, out: Topics, frames: int, state_dir: str
) -> tuple[Application, Deriver]:
    app = Application(
        broker_address=bootstrap,
        consumer_group=out.processor_group,
        auto_offset_reset="earliest",
        processing_guarantee="at-least-once",
        state_dir=state_dir,
        # the worker's own state encoding, stored as it is (Quix would JSON-encode it again)
        rocksdb_options=RocksDBOptions(dumps=lambda data: data, loads=lambda data: data),
        loglevel="WARNING",
    )
    codecs = asyncio.run(writers(registry_url, out, DERIVED))
    targets: dict[Output[Any], Topic] = {
        output: app.topic(codec.topic, key_serializer="bytes", value_serializer=AvroValue(codec))
        for output, codec in codecs.items()
    }
    feeds = {raw.raw(feed): feed for feed in Feed}
    actions, statistics = (
        app.dataframe(app.topic(name, key_deserializer="bytes", value_deserializer="bytes"))
        for name in feeds
    )
    deriver = Deriver(app, feeds, frames)
    derived = actions.concat(statistics).apply(deriver, stateful=True, metadata=True, expand=True)
    derived.set_headers(lambda value, key, timestamp, headers: [])
    derived.to_topic(lambda value, key, timestamp, headers: targets[value[0]])
    return app, deriver


def main() -> None:
    args = consumer_arguments(__doc__.split("\n\n")[0])
    with tempfile.TemporaryDirectory(prefix="sportsfeed-quix-") as state_dir:
        app, deriver = build(
            args.bootstrap,
            args.registry,
            Topics(args.raw_prefix),
            Topics(args.prefix),
            args.frames,
            state_dir,
        )
        app.run()
        seconds, cpu = time.monotonic() - deriver.started, cpu_seconds() - deriver.cpu
    print(f"FRAMES {deriver.done} SECONDS {seconds:.3f} CPU {cpu:.3f}", flush=True)


if __name__ == "__main__":
    main()
