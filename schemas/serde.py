"""Avro in the Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro body.

Writers and readers apart: an `AvroWriter` holds the id its schema was registered under (by
`schemas.registration`, once at start-up, in the processes that write) and never calls the
registry; an `AvroReader` and `Registry.read` only look writer schemas up by id, once per
unknown id, and register nothing. Both are synchronous, so Faust and aiokafka code use them
alike.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
from functools import cache
from typing import Any, Final, Generic, TypeVar

import fastavro
import httpx
from fastavro.validation import ValidationError as AvroValidationError
from fastavro.validation import validate
from schema_registry.client import SchemaRegistryClient

from schemas.contract import contract_text
from schemas.errors import RecordMismatch, RegistryUnavailable, SchemaError, UnknownSchemaId
from schemas.outputs import Output
from schemas.validation import Validator

MAGIC: Final = 0
HEADER: Final = struct.Struct(">bI")
Record = dict[str, Any]  # as read: enums as symbols, timestamps as datetimes
R = TypeVar("R")


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


class Registry:
    """A Confluent-compatible Schema Registry, read only: writer schemas by id, cached."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client = SchemaRegistryClient(url, timeout=httpx.Timeout(10.0))
        self._by_id: dict[int, dict[str, Any]] = {}

    def remember(self, schema_id: int, schema: dict[str, Any]) -> None:
        """A writer schema this process registered itself: no need to look it up."""
        self._by_id[schema_id] = schema

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


class AvroWriter(Generic[R]):
    """Encode one topic's records with the schema registered for it (`schemas.registration`)."""

    def __init__(self, output: Output[R], topic: str, schema_id: int) -> None:
        self.output, self.topic, self.schema_id = output, topic, schema_id
        self.schema = parsed_schema(output.schema)
        self._validator = validator(output.schema)
        self._header = HEADER.pack(MAGIC, schema_id)

    def encode(self, record: R) -> bytes:
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


class AvroReader:
    """Decode one topic's values: by their writer schema (looked up by id), as `output` reads."""

    def __init__(self, output: Output[Any], topic: str, registry: Registry) -> None:
        self.output, self.topic = output, topic
        self.schema = parsed_schema(output.schema)
        self._registry = registry

    def decode(self, data: bytes) -> Record:
        if not is_confluent_avro(data):
            raise SchemaError(f"{self.topic}: not Confluent Avro (no magic byte 0)")
        return self._registry.read(data, self.schema)


def _mismatch(schema: dict[str, Any], record: Any, exc: Exception) -> str:
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
