"""Benchmark baseline: the processor's pure core under a plain aiokafka loop, no Faust.

What a user would write instead of a Faust worker: `getmany` over both raw topics, `parse`,
`read_meta` and `apply` with the fixtures' states in a dict, the same Avro encoding, every
output sent keyed by fixtureId, and the offsets committed once a batch's sends are
acknowledged (at least once). Not fault-tolerant (its state is lost with the process), so it
is a floor for the shell around the core, not an alternative design.

Run by `bench.replay`: prints "RATE <frames/s> CPU <ms per frame>" once it has processed
`--frames` raw records.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.consumer_cli import consumer_arguments
from bench.measure import cpu_seconds
from processors.derive.fixture import FixtureState, apply
from processors.frames import BadFrame, parse, read_meta
from schemas.outputs import DERIVED
from schemas.registration import writers
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed


async def run(bootstrap: str, registry_url: str, raw: Topics, out: Topics, frames: int) -> str:
    codecs = await writers(registry_url, out, DERIVED)
    feeds = {raw.raw(feed): feed for feed in Feed}
    consumer = AIOKafkaConsumer(
        *feeds,
        bootstrap_servers=bootstrap,
        group_id=out.processor_group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=10,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=0
    )
    await consumer.start()
    await producer.start()
    states: dict[bytes, FixtureState] = {}
    done, started, cpu = 0, 0.0, 0.0
    try:
        while done < frames:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            if batch and not started:
                started, cpu = time.monotonic(), cpu_seconds()
            sent: list[Any] = []
            for tp, messages in batch.items():
                feed = feeds[tp.topic]
                for message in messages:
                    key = message.key or b""
                    try:
                        frame = parse(feed, message.value or b"")
                        applied = apply(
                            states.get(key, FixtureState()), frame, read_meta(message.headers)
                        )
                    except BadFrame:
                        continue  # none in the benchmark's generated frames
                    states[key] = applied.state
                    for name, record in applied.outputs:
                        codec = codecs[name]
                        sent.append(await producer.send(codec.topic, codec.encode(record), key=key))
                    done += 1
            await asyncio.gather(*sent)
            await consumer.commit()
        seconds, cpu = time.monotonic() - started, cpu_seconds() - cpu
        return f"RATE {done / seconds:.1f} CPU {1000 * cpu / done:.4f}"
    finally:
        await consumer.stop()
        await producer.stop()


def main() -> None:
    args = consumer_arguments(__doc__.split("\n\n")[0])
    line = asyncio.run(
        run(
            args.bootstrap, args.registry, Topics(args.raw_prefix), Topics(args.prefix), args.frames
        )
    )
    print(line, flush=True)


if __name__ == "__main__":
    main()
