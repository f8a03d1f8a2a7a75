"""A downstream consumer as a pricing system would write one, in its own process.

It follows `feed-status` and `fixture-score`, keeps a market open only while every feed of the
fixture is LIVE, and drops derived records it has already seen by (fixtureId, source feed,
source sequence), as the topic contract recommends. Run it beside the pipeline:

    KAFKA_BOOTSTRAP_SERVERS=... SCHEMA_REGISTRY_URL=... python examples/pricing_consumer.py

It prints one line per decision: `SUSPEND <fixture> <reason>`, `OPEN <fixture>`,
`SCORE <fixture> <home>-<away>`. Stop it with Ctrl-C, or give --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import struct
import time

import fastavro
import httpx
from aiokafka import AIOKafkaConsumer


class AvroDecoder:
    """Confluent wire format: magic byte 0, a 4-byte schema id, the Avro body."""

    def __init__(self, registry_url: str) -> None:
        self._registry, self._schemas = registry_url, {}

    def decode(self, data: bytes) -> dict:
        _magic, schema_id = struct.unpack(">bI", data[:5])
        if schema_id not in self._schemas:
            answer = httpx.get(f"{self._registry}/schemas/ids/{schema_id}", timeout=10)
            text = answer.raise_for_status().json()["schema"]  # the schema, as a JSON string
            self._schemas[schema_id] = fastavro.parse_schema(json.loads(text))
        return fastavro.schemaless_reader(io.BytesIO(data[5:]), self._schemas[schema_id], None)


async def follow(bootstrap: str, registry: str, prefix: str, seconds: float) -> None:
    decoder, seen, market_open = AvroDecoder(registry), set(), {}
    consumer = AIOKafkaConsumer(
        f"{prefix}feed-status",
        f"{prefix}fixture-score",
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"pricing-example-{os.getpid()}",
    )
    await consumer.start()
    deadline = time.monotonic() + seconds if seconds else float("inf")
    try:
        while time.monotonic() < deadline:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                for message in messages:
                    record = decoder.decode(message.value)
                    fixture = str(record["fixtureId"])
                    if message.topic.endswith("feed-status"):
                        down = [
                            f"{f['feed']}={f['state']}"
                            for f in record["feeds"]
                            if f["state"] != "LIVE"
                        ]
                        if market_open.get(fixture) is not (not down):
                            market_open[fixture] = not down
                            print(
                                f"SUSPEND {fixture} {' '.join(down)}"
                                if down
                                else f"OPEN {fixture}",
                                flush=True,
                            )
                    else:
                        identity = (fixture, record["source"]["feed"], record["source"]["sequence"])
                        if identity in seen:
                            continue  # a repeat after a worker restart: already priced
                        seen.add(identity)
                        print(
                            f"SCORE {fixture} {record['homeScore']}-{record['awayScore']}",
                            flush=True,
                        )
    finally:
        await consumer.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (0: never)")
    args = parser.parse_args()
    asyncio.run(
        follow(
            os.environ["KAFKA_BOOTSTRAP_SERVERS"],
            os.environ["SCHEMA_REGISTRY_URL"],
            os.environ.get("SPORTSFEED_TOPIC_PREFIX", "sportsfeed."),
            args.seconds,
        )
    )
