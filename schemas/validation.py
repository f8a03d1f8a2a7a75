"""Avro values checked against their `.avsc` schema before they are written (pure).

fastavro writes what its encoder can pack: a non-UUID string into a `uuid` field, 2^33 into an
`int` through a variable-length encoding a Java reader wraps, and for 2^64 an OverflowError
naming no field. Every reader downstream then chokes on the record (or misreads it), and a
consumer that commits offsets is stuck behind it. `check` walks the schema and the value
together and names the first field a reader could not take, by its path
(`periods[2].homePoints`), so the frame behind it is dead-lettered instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from schemas.errors import RecordMismatch

INT_RANGE: Final = (-(2**31), 2**31 - 1)
LONG_RANGE: Final = (-(2**63), 2**63 - 1)
# The form Java's UUID.fromString and every Avro library's uuid logical type read.
UUID_FORM: Final = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_TIME_TYPES: Final = frozenset({"timestamp-millis", "timestamp-micros", "date"})


class Validator:
    """The checks of one schema (as its `.avsc` JSON), named types resolved."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self.named: dict[str, Any] = {}
        self._composite: dict[str, Callable[[Any, object, str], str | None]] = {
            "record": self._record,
            "array": self._array,
            "map": self._map,
            "enum": _enum,
            "fixed": _fixed,
        }
        self._collect(schema, schema.get("namespace"))

    def check(self, value: object) -> None:
        """Raises RecordMismatch naming the first field a reader could not take."""
        problem = self.problem(self.schema, value, "")
        if problem is not None:
            raise RecordMismatch(problem)

    def problem(self, schema: Any, value: object, path: str) -> str | None:
        """What is wrong with `value` as `schema` at `path`; None when a reader can take it."""
        # Called for every field of every record written: nothing is built on the way (the
        # check once cost more than the Avro encoding itself).
        if isinstance(schema, list):
            return self._union(schema, value, path)
        kind: Any
        logical: str | None
        if isinstance(schema, str):
            kind, logical = schema, None
        else:
            kind, logical = schema["type"], schema.get("logicalType")
        if not isinstance(kind, str):
            return self.problem(kind, value, path)  # a nested type: a schema or a union
        if kind in self.named:
            return self.problem(self.named[kind], value, path)
        composite = self._composite.get(kind)
        if composite is not None:
            return composite(schema, value, path)
        return _primitive(kind, logical, value, path)

    def _array(self, schema: Mapping[str, Any], value: object, path: str) -> str | None:
        if not isinstance(value, list | tuple):
            return f"{_where(path)}expected an array, got {_shown(value)}"
        found = (
            self.problem(schema["items"], item, f"{path}[{n}]") for n, item in enumerate(value)
        )
        return next((p for p in found if p is not None), None)

    def _map(self, schema: Mapping[str, Any], value: object, path: str) -> str | None:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            return f"{_where(path)}expected a map with string keys, got {_shown(value)}"
        found = (
            self.problem(schema["values"], item, f"{path}[{key!r}]") for key, item in value.items()
        )
        return next((p for p in found if p is not None), None)

    def _record(self, schema: Mapping[str, Any], value: object, path: str) -> str | None:
        if not isinstance(value, Mapping):
            return f"{_where(path)}expected a record, got {_shown(value)}"
        for field in schema["fields"]:
            where = f"{path}.{field['name']}" if path else field["name"]
            if field["name"] not in value:
                if "default" in field:
                    continue
                return f"{where}: missing"
            problem = self.problem(field["type"], value[field["name"]], where)
            if problem is not None:
                return problem
        return None

    def _union(self, branches: list[Any], value: object, path: str) -> str | None:
        if any(self.problem(branch, value, path) is None for branch in branches):
            return None
        problems = [self.problem(branch, value, path) for branch in branches]
        if value is not None and "null" in branches and len(branches) == 2:
            return next(p for p, b in zip(problems, branches, strict=True) if b != "null")
        return f"{_where(path)}{_shown(value)} matches no branch of the union"

    def _collect(self, schema: Any, namespace: str | None) -> None:
        """Remember every named type (by short and full name) defined inside `schema`."""
        if isinstance(schema, list):
            for branch in schema:
                self._collect(branch, namespace)
            return
        if not isinstance(schema, Mapping):
            return
        if schema.get("type") in {"record", "enum", "fixed"}:
            namespace = schema.get("namespace", namespace)
            name = schema["name"]
            self.named[name] = schema
            self.named[f"{namespace}.{name}" if namespace and "." not in name else name] = schema
        for field in schema.get("fields", []):
            self._collect(field["type"], namespace)
        for key in ("items", "values"):
            if key in schema:
                self._collect(schema[key], namespace)
        if isinstance(schema.get("type"), Mapping | list):
            self._collect(schema["type"], namespace)


def _enum(schema: Mapping[str, Any], value: object, path: str) -> str | None:
    if isinstance(value, str) and value in schema["symbols"]:
        return None
    return f"{_where(path)}{_shown(value)} is not one of {', '.join(schema['symbols'])}"


def _fixed(schema: Mapping[str, Any], value: object, path: str) -> str | None:
    if isinstance(value, bytes) and len(value) == schema["size"]:
        return None
    return f"{_where(path)}expected {schema['size']} bytes, got {_shown(value)}"


def _primitive(kind: str, logical: str | None, value: object, path: str) -> str | None:  # noqa: PLR0911 (one return per Avro kind)
    where = _where(path)
    if kind == "null":
        return None if value is None else f"{where}expected null, got {_shown(value)}"
    if kind == "boolean":
        ok = isinstance(value, bool)
        return None if ok else f"{where}expected a boolean, got {_shown(value)}"
    if kind in {"int", "long"}:
        if logical in _TIME_TYPES and isinstance(value, dt.datetime | dt.date):
            return None
        low, high = INT_RANGE if kind == "int" else LONG_RANGE
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{where}expected an {kind}, got {_shown(value)}"
        return None if low <= value <= high else f"{where}{value} is outside Avro {kind}'s range"
    if kind in {"float", "double"}:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f"{where}expected a {kind}, got {_shown(value)}"
    if kind == "string":
        if not isinstance(value, str):
            return f"{where}expected a string, got {_shown(value)}"
        if logical == "uuid" and UUID_FORM.fullmatch(value) is None:
            return f"{where}{_shown(value)} is not a UUID"
        return None
    if kind == "bytes":
        return None if isinstance(value, bytes) else f"{where}expected bytes, got {_shown(value)}"
    return f"{where}unknown Avro type {kind!r}"


def _where(path: str) -> str:
    return f"{path}: " if path else ""


def _shown(value: object) -> str:
    return f"{value!r:.40}"
