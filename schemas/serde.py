"""Avro in the Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro body.

Schemas are registered (or found) once at start-up, under `<topic>-value` with BACKWARD
compatibility; encoding then never calls the registry, and decoding asks it once per unknown
writer schema id. Codecs are synchronous, so Faust and plain aiokafka code use them alike.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import struct
import time
from functools import cache
from typing import Any, Final

import fastavro
import httpx
from fastavro.validation import ValidationError as AvroValidationError
from fastavro.validation import validate
from schema_registry.client import SchemaRegistryClient
from schema_registry.client.schema import AvroSchema

from schemas.contract import contract_text
from schemas.errors import RecordMismatch, RegistryUnavailable, SchemaError, UnknownSchemaId
from schemas.validation import Validator

MAGIC: Final = 0
HEADER: Final = struct.Struct(">bI")
Record = dict[str, Any]


def _parse(schema: dict[str, Any]) -> dict[str, Any]:
    parsed = fastavro.parse_schema(schema)
    if not isinstance(parsed, dict):
        raise SchemaError(f"not a record schema: {schema!r:.80}")
    return parsed


@cache
def parsed_schema(name: str) -> dict[str, Any]:
    return _parse(json.loads(contract_text(name)))


@cache
def validator(name: str) -> Validator:
    return Validator(json.loads(contract_text(name)))


_REGISTER_TRIES = 5


class Registry:
    """A Confluent-compatible Schema Registry; caches what it has been told."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client = SchemaRegistryClient(url, timeout=httpx.Timeout(10.0))
        self._by_id: dict[int, dict[str, Any]] = {}

    def register(self, subject: str, schema: str) -> int:
        """Set BACKWARD compatibility on `subject` and register `schema`; its id.

        Both steps are idempotent, so they are tried again when they fail: processes starting
        together (a StatefulSet's workers) race on a new subject, and the registry then
        refuses all but one ("Unable to update level").
        """
        for attempt in range(1, _REGISTER_TRIES + 1):
            try:
                self._client.update_compatibility("BACKWARD", subject)
                schema_id = int(self._client.register(subject, AvroSchema(schema)))
                break
            except httpx.HTTPError as exc:
                raise RegistryUnavailable(
                    f"schema registry at {self.url} did not answer ({exc}); "
                    "check SCHEMA_REGISTRY_URL"
                ) from exc
            except Exception as exc:
                if attempt == _REGISTER_TRIES:
                    raise SchemaError(
                        f"registering {subject} at {self.url} failed: {exc}; check that "
                        "SCHEMA_REGISTRY_URL is a Confluent-compatible API (Apicurio's ends in "
                        "/apis/ccompat/v7)"
                    ) from exc
                time.sleep(random.uniform(0.05, 0.3) * attempt)  # let the other writer finish
        if schema_id < 0:
            raise SchemaError(f"registry at {self.url} refused {subject}: incompatible schema?")
        self._by_id[schema_id] = _parse(json.loads(schema))
        return schema_id

    def read(self, data: bytes, reader: dict[str, Any] | None = None) -> Record:
        """A Confluent-wire-format value, read with its writer schema (and `reader`, if any)."""
        _, schema_id = HEADER.unpack_from(data)
        body = io.BytesIO(data[HEADER.size :])
        return fastavro.schemaless_reader(body, self.writer_schema(schema_id), reader)  # type: ignore[return-value]

    def writer_schema(self, schema_id: int) -> dict[str, Any]:
        if schema_id not in self._by_id:
            try:
                found = self._client.get_by_id(schema_id)
            except httpx.HTTPError as exc:
                raise RegistryUnavailable(
                    f"schema registry at {self.url} did not answer ({exc}); "
                    "check SCHEMA_REGISTRY_URL"
                ) from exc
            if found is None:
                raise UnknownSchemaId(f"schema id {schema_id} is unknown to {self.url}")
            raw: object = found.raw_schema  # typed as a dict; some registries give a string
            self._by_id[schema_id] = _parse(
                json.loads(raw) if isinstance(raw, str) else found.raw_schema
            )
        return self._by_id[schema_id]


def is_confluent_avro(data: bytes) -> bool:
    return len(data) > HEADER.size and data[0] == MAGIC


class AvroCodec:
    """Encode and decode one topic's values with its reader schema."""

    def __init__(self, topic: str, schema_name: str, registry: Registry) -> None:
        self.topic = topic
        self.schema = parsed_schema(schema_name)
        self._validator = validator(schema_name)
        self._registry = registry
        self.schema_id = registry.register(f"{topic}-value", contract_text(schema_name))
        self._header = HEADER.pack(MAGIC, self.schema_id)

    def encode(self, record: Record) -> bytes:
        """The record in the wire format; RecordMismatch names a field no reader could take."""
        try:
            self._validator.check(record)
        except RecordMismatch as exc:
            raise RecordMismatch(f"{self.topic}: {exc}") from None
        out = io.BytesIO()
        out.write(self._header)
        try:
            fastavro.schemaless_writer(out, self.schema, record)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise RecordMismatch(f"{self.topic}: {_mismatch(self.schema, record, exc)}") from exc
        return out.getvalue()

    def decode(self, data: bytes) -> Record:
        if not is_confluent_avro(data):
            raise SchemaError(f"{self.topic}: not Confluent Avro (no magic byte 0)")
        return self._registry.read(data, self.schema)


def _mismatch(schema: dict[str, Any], record: Record, exc: Exception) -> str:
    """Which field is wrong, as fastavro's validator words it."""
    try:
        validate(record, schema, raise_errors=True)
    except AvroValidationError as invalid:
        return "record does not match schema: " + "; ".join(str(e) for e in invalid.errors)
    return f"record does not match schema: {exc}"


_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def micros(moment: dt.datetime | int) -> int:
    """Epoch microseconds of an Avro timestamp-micros, as read (a datetime) or as written."""
    if isinstance(moment, int):
        return moment
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)
