"""The Avro contract as a Java team meets it: classes generated from the `.avsc` files by
avro-maven-plugin, kafka-clients, and the Confluent wire format read with Avro's
SpecificDatumReader (tests/jvm), over every Avro topic of a short pipeline run."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import fastavro
import pytest
from aiokafka import AIOKafkaProducer

from producers.app import Producer
from producers.metrics import Metrics
from schemas.compat import released_text
from schemas.outputs import OUTPUTS
from schemas.registration import register
from schemas.serde import HEADER, MAGIC, Registry, micros, parsed_schema
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import load_settings
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import generate_catalogue
from tests.integration.pipeline import (
    environment,
    fresh_topics,
    read_topic,
    running_simulator,
    settings_from,
    spawn,
    stop,
    wait_until_consumed,
)

MODULE = Path(__file__).parents[1] / "jvm"
SCHEMA_OF = {output.suffix: output.schema for output in OUTPUTS}
LEGACY_FIXTURE = "5c1f0e4e-6f1b-4b5e-9d55-0c0ffee00001"


def _maven(offline: bool) -> subprocess.CompletedProcess[str]:
    repository = load_settings().cache_dir / "maven"  # beside the stack's downloads, kept
    command = ["mvn", "-q", "-B", f"-Dmaven.repo.local={repository}", "process-classes"]
    return subprocess.run(
        command + (["-o"] if offline else []),
        cwd=MODULE,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def class_path() -> str:
    """Build the module: offline from the cache, or (first run, new versions) downloading."""
    shutil.rmtree(MODULE / "target", ignore_errors=True)  # Maven misses an edited import
    built = _maven(offline=True)
    if built.returncode != 0:
        built = _maven(offline=False)
    assert built.returncode == 0, (built.stdout + built.stderr)[-4000:]
    return f"{MODULE / 'target' / 'classes'}:{MODULE / 'target' / 'lib' / '*'}"


async def _run_pipeline(stack: Endpoints, tmp_path: Path) -> tuple[str, Topics, dict[str, Any]]:
    """Five fixtures, one of each sport, simulated to their end through producer and worker."""
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(5, seed=21)
    truth = {fixture_id: fixture.truth() for fixture_id, fixture in fixtures.items()}
    async with running_simulator(fixtures) as simulator:
        env = environment(
            stack,
            prefix,
            simulator,
            SPORTSFEED_SPEED="fast",
            SPORTSFEED_DATA_DIR=str(tmp_path),
            SPORTSFEED_STORE="rocksdict",
        )
        worker = await spawn("process", env)
        await Producer(settings_from(env), stack, Metrics()).run()
    raw = [topics.raw(feed) for feed in Feed]
    done = await wait_until_consumed(stack, topics.processor_group, raw, 120, worker)
    output = await stop(worker, 60)
    assert done, output[-4000:]
    return prefix, topics, truth


SOURCE = {"feed": "ACTIONS", "sequence": 4, "position": 4, "timestamp": 1_700_000_000_000_000}
LEGACY_TEAM = {"id": None, "name": "Legacy"}
# Records as a deployment of the released contract wrote them (the old names, e.g.
# sportsfeed.State for the market status), each with a symbol this contract does not know yet.
LEGACY = {
    "fixture-score": (
        ("sport", "CURLING"),
        {
            "fixtureId": LEGACY_FIXTURE,
            "homeTeam": LEGACY_TEAM,
            "awayTeam": LEGACY_TEAM,
            "homeScore": 3,
            "awayScore": 1,
            "periods": [],
            "currentPeriod": 1,
            "status": "Live",
            "clock": None,
            "clockRunning": None,
            "finished": False,
            "source": SOURCE,
        },
    ),
    "market-state": (
        ("reasons", "WEATHER"),
        {
            "fixtureId": LEGACY_FIXTURE,
            "state": "SUSPENDED",
            "validUntil": 5,
            "decidedAt": 5,
            "producerId": None,
            "livenessAt": None,
            "source": SOURCE,
        },
    ),
}


def _with_new_symbol(schema: dict[str, Any], field: str, symbol: str) -> dict[str, Any]:
    kind = next(f for f in schema["fields"] if f["name"] == field)["type"]
    (kind["items"] if kind["type"] == "array" else kind)["symbols"].append(symbol)
    return schema


async def _write_with_older_names_and_newer_symbols(stack: Endpoints, topics: Topics) -> None:
    """Readers must resolve the old names by their aliases and a new symbol by the enum's
    default."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers)
    await producer.start()
    try:
        for topic, ((field, symbol), record) in LEGACY.items():
            released = json.loads(released_text(SCHEMA_OF[topic]))
            writer = _with_new_symbol(released, field, symbol)
            subject = f"legacy-{uuid.uuid4().hex[:8]}-value"
            body = io.BytesIO()
            schema_id = await register(stack.registry_url, subject, json.dumps(writer))
            body.write(HEADER.pack(MAGIC, schema_id))
            value = {field: [symbol, "FEED_NOT_LIVE"] if field == "reasons" else symbol}
            fastavro.schemaless_writer(body, fastavro.parse_schema(writer), record | value)
            await producer.send_and_wait(
                topics.prefix + topic, body.getvalue(), key=LEGACY_FIXTURE.encode()
            )
    finally:
        await producer.stop()


def _source(source: dict[str, Any]) -> list[Any]:
    return [source["feed"], source["sequence"], source["position"], micros(source["timestamp"])]


def _periods(periods: list[dict[str, Any]]) -> list[list[int]]:
    return [[p["homePoints"], p["awayPoints"]] for p in periods]


def _fields(topic: str, r: dict[str, Any]) -> dict[str, Any]:
    """What the Java consumer prints of a record (ContractConsumer.fields), from fastavro."""
    fixture = {"fixtureId": str(r["fixtureId"])}
    if topic == "feed-status":
        feeds = [f"{f['feed']}:{f['state']}:{f['position']}" for f in r["feeds"]]
        return fixture | {
            "sport": r["sport"],
            "channel": r["channel"],
            "changed": r["changed"],
            "feeds": feeds,
            "emittedAt": micros(r["emittedAt"]),
        }
    if topic == "fixture-score":
        return fixture | {
            "sport": r["sport"],
            "teams": [r["homeTeam"]["name"], r["awayTeam"]["name"]],
            "score": [r["homeScore"], r["awayScore"]],
            "periods": _periods(r["periods"]),
            "finished": r["finished"],
            "source": _source(r["source"]),
        }
    if topic == "period-delta":
        changes = [
            [str(c["teamId"]), c["period"], c["actionId"], c["subActionId"], c["delta"]]
            for c in r["changes"]
        ]
        return fixture | {"sport": r["sport"], "changes": changes, "source": _source(r["source"])}
    if topic == "fixture-finished":
        return fixture | {
            "sport": r["sport"],
            "score": [r["homeScore"], r["awayScore"]],
            "periods": _periods(r["periods"]),
            "winner": r["winner"],
            "source": _source(r["source"]),
        }
    source = None if r["source"] is None else _source(r["source"])
    return fixture | {
        "state": r["state"],
        "reasons": r["reasons"],
        "validUntil": micros(r["validUntil"]),
        "source": source,
    }


async def _python_reads(stack: Endpoints, topics: Topics) -> dict[tuple[str, int, int], Any]:
    """Every record of the Avro topics as this project's decoder reads it, by position."""
    registry = Registry(stack.registry_url)
    found = {}
    for topic, schema in SCHEMA_OF.items():
        for m in await read_topic(stack, topics.prefix + topic):
            record = registry.read(m.value, parsed_schema(schema))
            found[topic, m.partition, m.offset] = _fields(topic, record)
    return found


async def _java_reads(class_path: str, stack: Endpoints, prefix: str) -> dict[Any, Any]:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
        "SCHEMA_REGISTRY_URL": stack.registry_url,
        "SPORTSFEED_TOPIC_PREFIX": prefix,
    }
    java = await asyncio.create_subprocess_exec(
        "java",
        "-cp",
        class_path,
        "sportsfeed.jvm.ContractConsumer",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    output, errors = await asyncio.wait_for(java.communicate(), 120)
    assert java.returncode == 0, errors.decode()[-4000:]
    lines = [json.loads(line) for line in output.decode().splitlines()]
    return {(line["topic"], line["partition"], line["offset"]): line["record"] for line in lines}


async def test_java_reads_every_topic_as_python_does_and_as_the_simulator_played(
    stack: Endpoints, tmp_path: Path, class_path: str
) -> None:
    prefix, topics, truth = await _run_pipeline(stack, tmp_path)
    await _write_with_older_names_and_newer_symbols(stack, topics)
    java = await _java_reads(class_path, stack, prefix)
    python = await _python_reads(stack, topics)

    assert {topic for topic, _, _ in java} == set(SCHEMA_OF)  # every topic has records
    assert len(java) == len(python)
    for position, record in python.items():
        assert java.get(position) == record, position

    legacy = {topic: r for (topic, _, _), r in java.items() if r["fixtureId"] == LEGACY_FIXTURE}
    assert legacy["fixture-score"]["sport"] == "UNKNOWN"
    assert legacy["fixture-score"]["teams"] == ["Legacy", "Legacy"]
    assert legacy["market-state"]["state"] == "SUSPENDED"
    assert legacy["market-state"]["reasons"] == ["UNKNOWN", "FEED_NOT_LIVE"]
    assert len(legacy) == len(LEGACY)
    finished = {
        r["fixtureId"]: r for (topic, _, _), r in java.items() if topic == "fixture-finished"
    }
    assert set(finished) == set(truth)
    for fixture_id, expected in truth.items():
        record = finished[fixture_id]
        assert record["sport"] == Sport(expected["sport"]).name
        assert record["score"] == [expected["homeScore"], expected["awayScore"]]
        assert record["periods"] == expected["periodScores"]
        assert record["winner"] == str(expected["winner"]).upper()
