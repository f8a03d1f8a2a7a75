"""Avro through the real registry, checked with an independent wire-format reader."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import struct
import uuid
from typing import Any

import fastavro
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from producers.status import State
from schemas.contract import contract_text
from schemas.errors import RecordMismatch, RegistryUnavailable, UnknownSchemaId
from schemas.outputs import FEED_STATUS, FIXTURE_SCORE, OUTPUTS, Output
from schemas.registration import register, writer
from schemas.serde import AvroReader, AvroWriter, Registry
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.topics import Topics
from tests.integration.avro_strategies import as_read, records

FIXTURE = "1bd00469-86fa-4f0b-abcc-30cbef80dacc"
MICROS = st.integers(0, 4_000_000_000_000_000)  # timestamps up to the year 2096
TIMESTAMPS = {"since", "lastHeartbeatAt", "lastDataAt", "emittedAt", "validUntil"}

feed_states = st.fixed_dictionaries(
    {
        "feed": st.sampled_from(["ACTIONS", "STATISTICS"]),
        "state": st.sampled_from([state.value for state in State]),
        "since": MICROS,
        "reason": st.none() | st.text(max_size=40),
        "position": MICROS,
        "rawOffset": st.none() | MICROS,
        "lastHeartbeatAt": st.none() | MICROS,
        "lastDataAt": st.none() | MICROS,
    }
)
statuses = st.fixed_dictionaries(
    {
        "fixtureId": st.uuids().map(str),
        "sport": st.sampled_from(["SOCCER", "BASKETBALL", "VOLLEYBALL", "SNOOKER", "TABLE_TENNIS"]),
        "channel": st.sampled_from(["BETTING", "MEDIA"]),
        "changed": st.sampled_from(["ACTIONS", "STATISTICS"]),
        "feeds": st.lists(feed_states, max_size=2),
        "emittedAt": MICROS,
        "producerId": st.none() | st.text(max_size=40),
        "validUntil": st.none() | MICROS,
    }
)


def scratch() -> Topics:
    return Topics(f"serde-{uuid.uuid4().hex[:8]}.")


@pytest.fixture(scope="module")
def codec(stack: Endpoints) -> AvroWriter[Any]:
    return asyncio.run(writer(stack.registry_url, scratch(), FEED_STATUS))


@pytest.fixture(scope="module")
def reader(stack: Endpoints, codec: AvroWriter[Any]) -> AvroReader:
    return AvroReader(FEED_STATUS, codec.topic, Registry(stack.registry_url))


def independent_decode(registry_url: str, data: bytes) -> dict[str, object]:
    """Confluent wire format read by hand: magic 0, big-endian id, then the Avro body."""
    magic, schema_id = struct.unpack(">bI", data[:5])
    assert magic == 0
    schema = (
        httpx.get(f"{registry_url}/schemas/ids/{schema_id}", timeout=10).raise_for_status().json()
    )
    parsed = fastavro.parse_schema(json.loads(schema["schema"]))
    return fastavro.schemaless_reader(io.BytesIO(data[5:]), parsed)  # type: ignore[return-value]


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(record=statuses)
def test_feed_status_round_trips(
    codec: AvroWriter[Any], reader: AvroReader, stack: Endpoints, record: dict[str, object]
) -> None:
    data = codec.encode(record)
    decoded = reader.decode(data)
    assert {**decoded, "fixtureId": str(decoded["fixtureId"])} == _normalised(record)
    independent = independent_decode(stack.registry_url, data)
    assert {**independent, "fixtureId": str(independent["fixtureId"])} == _normalised(record)


def _normalised(record: dict[str, object]) -> dict[str, object]:
    """What decoding gives back: timestamp-micros as UTC datetimes, nested records too."""

    def value(key: str, item: object) -> object:
        if key in TIMESTAMPS and isinstance(item, int):
            return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=item)
        if isinstance(item, list):
            return [_normalised(element) for element in item]
        return item

    return {key: value(key, item) for key, item in record.items()}


def test_registration_sets_backward_compatibility(codec: AvroWriter[Any], stack: Endpoints) -> None:
    subject = f"{codec.topic}-value"
    config = (
        httpx.get(f"{stack.registry_url}/config/{subject}", timeout=10).raise_for_status().json()
    )
    assert config["compatibilityLevel"] == "BACKWARD"


def test_workers_starting_together_all_register_the_same_schema(stack: Endpoints) -> None:
    """Eight processes' worth of registrations of one new subject at once (a StatefulSet's
    workers starting in parallel): each gets the schema's id, none fails."""
    subject = f"together{uuid.uuid4().hex[:10]}.fixture-score-value"
    schema = contract_text("fixture_score")

    async def together() -> list[int]:
        return await asyncio.gather(
            *(register(stack.registry_url, subject, schema) for _ in range(8))
        )

    assert len(set(asyncio.run(together()))) == 1


def test_record_mismatch_names_the_field(codec: AvroWriter[Any]) -> None:
    record = {
        "fixtureId": FIXTURE,
        "sport": "CURLING",
        "channel": "BETTING",
        "changed": "ACTIONS",
        "feeds": [],
        "emittedAt": 1,
    }
    with pytest.raises(RecordMismatch, match="sport"):
        codec.encode(record)


def test_unknown_schema_id_is_named(reader: AvroReader) -> None:
    with pytest.raises(UnknownSchemaId, match="schema id 99999"):
        reader.decode(struct.pack(">bI", 0, 99999) + b"\x00")


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda output: output.suffix)
def test_every_schema_round_trips_through_the_registry(
    stack: Endpoints, output: Output[Any]
) -> None:
    codec = asyncio.run(writer(stack.registry_url, scratch(), output))
    reader = AvroReader(output, codec.topic, Registry(stack.registry_url))
    schema = json.loads(contract_text(output.schema))

    @settings(max_examples=40, deadline=None)
    @given(record=records(schema))
    def round_trip(record: dict[str, object]) -> None:
        data = codec.encode(record)
        expected = as_read(record, schema)
        assert _plain(reader.decode(data)) == expected
        assert _plain(independent_decode(stack.registry_url, data)) == expected

    round_trip()


def _plain(decoded: dict[str, object]) -> object:
    """uuid.UUID values (fastavro's reading of logicalType uuid) back to strings."""
    if isinstance(decoded, dict):
        return {k: _plain(v) for k, v in decoded.items()}  # type: ignore[arg-type]
    if isinstance(decoded, list):
        return [_plain(v) for v in decoded]  # type: ignore[arg-type]
    return str(decoded) if isinstance(decoded, uuid.UUID) else decoded


def test_unreachable_registry_is_named_at_start_up() -> None:
    with pytest.raises(RegistryUnavailable, match=r"127\.0\.0\.1:9.*SCHEMA_REGISTRY_URL"):
        asyncio.run(writer("http://127.0.0.1:9", Topics("any."), FIXTURE_SCORE))
