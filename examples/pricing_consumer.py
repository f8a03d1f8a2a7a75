"""A downstream consumer as a pricing system would write one, in its own process.

It follows `market-state` and `fixture-score` and codes against the market-state contract: a
fixture is open only while its latest market-state record says OPEN *and* that record's
`validUntil` has not passed. Records stop coming when anything upstream dies (producer,
processors, Kafka), so an expired lease is a suspension, checked four times a second whether
records arrive or not. It drops derived records it has already seen by (fixtureId, source feed,
source sequence), as the topic contract recommends. Run it beside the pipeline:

    KAFKA_BOOTSTRAP_SERVERS=... SCHEMA_REGISTRY_URL=... python examples/pricing_consumer.py

Every Kafka security setting of sportsfeed applies: KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM,
KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_SSL_CA_FILE, KAFKA_SSL_CERT_FILE and
KAFKA_SSL_KEY_FILE. It prints one line per change, as it happens: `OPEN <fixture>`,
`SUSPEND <fixture> <reasons>` (LEASE_EXPIRED when the lease ran out), and
`SCORE <fixture> <home>-<away>`. Stop it with Ctrl-C, or give --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import json
import os
import ssl
import struct
import time

import fastavro
import httpx
from aiokafka import AIOKafkaConsumer

CHECK_S = 0.25  # how often expired leases are looked for, records or not


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


def kafka_security(env: dict[str, str]) -> dict:
    """aiokafka's security options from the same variables sportsfeed reads."""
    protocol = env.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    options: dict = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(cafile=env.get("KAFKA_SSL_CA_FILE"))
        if env.get("KAFKA_SSL_CERT_FILE"):
            context.load_cert_chain(env["KAFKA_SSL_CERT_FILE"], env.get("KAFKA_SSL_KEY_FILE"))
        options["ssl_context"] = context
    if protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        options["sasl_mechanism"] = env.get("KAFKA_SASL_MECHANISM", "PLAIN")
        options["sasl_plain_username"] = env.get("KAFKA_SASL_USERNAME")
        options["sasl_plain_password"] = env.get("KAFKA_SASL_PASSWORD")
    return options


class Markets:
    """The contract: OPEN only while the latest record says so and its lease runs."""

    def __init__(self) -> None:
        self.latest: dict[str, dict] = {}  # fixture -> its latest market-state record
        self.shown: dict[str, tuple[str, str]] = {}  # fixture -> the decision printed last

    def update(self, record: dict) -> None:
        self.latest[str(record["fixtureId"])] = record

    def show_changes(self) -> None:
        now = dt.datetime.now(dt.UTC)
        for fixture, record in self.latest.items():
            decision = decide(record, now)
            if self.shown.get(fixture) != decision:
                self.shown[fixture] = decision
                print(f"{decision[0]} {fixture} {decision[1]}".rstrip(), flush=True)


def decide(record: dict, now: dt.datetime) -> tuple[str, str]:
    """OPEN, or SUSPEND with the reasons (LEASE_EXPIRED: an OPEN whose lease has passed).

    Avro readers give timestamp-micros as datetimes in UTC (fastavro does).
    """
    if record["state"] == "OPEN":
        return ("OPEN", "") if record["validUntil"] > now else ("SUSPEND", "LEASE_EXPIRED")
    return "SUSPEND", ",".join(record["reasons"])


async def follow(env: dict[str, str], seconds: float) -> None:
    prefix = env.get("SPORTSFEED_TOPIC_PREFIX", "sportsfeed.")
    decoder, seen, markets = AvroDecoder(env["SCHEMA_REGISTRY_URL"]), set(), Markets()
    consumer = AIOKafkaConsumer(
        f"{prefix}market-state",
        f"{prefix}fixture-score",
        bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
        auto_offset_reset="earliest",
        group_id=f"pricing-example-{os.getpid()}",
        **kafka_security(env),
    )
    await consumer.start()
    deadline = time.monotonic() + seconds if seconds else float("inf")
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=int(CHECK_S * 1000))
            for message in (m for messages in batch.values() for m in messages):
                record = decoder.decode(message.value)
                if message.topic.endswith("market-state"):
                    markets.update(record)
                    markets.show_changes()  # in order, so a short suspension is shown too
                    continue
                fixture = str(record["fixtureId"])
                identity = (fixture, record["source"]["feed"], record["source"]["sequence"])
                if identity in seen:
                    continue  # a repeat after a worker restart: already priced
                seen.add(identity)
                print(f"SCORE {fixture} {record['homeScore']}-{record['awayScore']}", flush=True)
            markets.show_changes()  # leases run out without any record arriving
    finally:
        await consumer.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (0: never)")
    args = parser.parse_args()
    missing = [
        name
        for name in ("KAFKA_BOOTSTRAP_SERVERS", "SCHEMA_REGISTRY_URL")
        if not os.environ.get(name)
    ]
    if missing:
        parser.error(f"set {' and '.join(missing)} (as `sportsfeed stack` prints them)")
    asyncio.run(follow(dict(os.environ), args.seconds))
