"""Avro values checked against their `.avsc` schema before they are written (pure).

fastavro writes what its encoder can pack: a non-UUID string into a `uuid` field, 2^33 into an
`int` through a variable-length encoding a Java reader wraps, and for 2^64 an OverflowError
naming no field. Every reader downstream then chokes on the record (or misreads it), and a
consumer that commits offsets is stuck behind it. `check` walks the schema and the value
together and names the first field a reader could not take, by its path
(`periods[2].homePoints`), so the frame behind it is dead-lettered instead.

It runs for every record written, so each schema is compiled once into nested checks: a
record that passes costs one type test per value, and a path is built only for a problem.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple

from schemas.errors import RecordMismatch

INT_RANGE: Final = (-(2**31), 2**31 - 1)
LONG_RANGE: Final = (-(2**63), 2**63 - 1)
# The form Java's UUID.fromString and every Avro library's uuid logical type read.
UUID_FORM: Final = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_TIME_TYPES: Final = frozenset({"timestamp-millis", "timestamp-micros", "date"})


class Found(NamedTuple):
    """A value no reader could take: where (innermost step first) and what is wrong."""

    path: list[str]  # field names, "[2]" for an array item, "['key']" for a map value
    text: str

    def message(self) -> str:
        path = ""
        for step in reversed(self.path):
            path += step if step.startswith("[") or not path else f".{step}"
        return f"{path}: {self.text}" if path else self.text


Check = Callable[[object], Found | None]


class Validator:
    """The check of one schema (as its `.avsc` JSON), compiled once, named types resolved."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self.named: dict[str, Any] = {}
        self._collect(schema, schema.get("namespace"))
        self._named_checks: dict[str, Check] = {}
        self._check = self._compile(schema)

    def check(self, value: object) -> None:
        """Raises RecordMismatch naming the first field a reader could not take."""
        found = self._check(value)
        if found is not None:
            raise RecordMismatch(found.message())

    def _compile(self, schema: Any) -> Check:  # noqa: PLR0911 (one return per kind of schema)
        if isinstance(schema, list):
            return _union([self._compile(branch) for branch in schema], schema)
        kind: Any
        logical: str | None
        if isinstance(schema, str):
            kind, logical = schema, None
        else:
            kind, logical = schema["type"], schema.get("logicalType")
        if not isinstance(kind, str):
            return self._compile(kind)  # a nested type: a schema or a union
        if kind in self.named:
            return self._named(kind)
        if kind == "record":
            return _record(
                [(f["name"], self._compile(f["type"]), "default" in f) for f in schema["fields"]]
            )
        if kind == "array":
            return _array(self._compile(schema["items"]))
        if kind == "map":
            return _map(self._compile(schema["values"]))
        if kind == "enum":
            return _enum(schema["symbols"])
        if kind == "fixed":
            return _fixed(schema["size"])
        return _primitive(kind, logical)

    def _named(self, name: str) -> Check:
        """A named type's check, compiled once."""
        checks = self._named_checks
        if name not in checks:

            def within_itself(value: object) -> Found | None:  # the type, used inside itself
                return checks[name](value)

            checks[name] = within_itself
            checks[name] = self._compile(self.named[name])
        return checks[name]

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


def _record(fields: list[tuple[str, Check, bool]]) -> Check:
    def check(value: object) -> Found | None:
        if type(value) is not dict and not isinstance(value, Mapping):
            return Found([], f"expected a record, got {_shown(value)}")
        for name, field, optional in fields:
            if name in value:
                found = field(value[name])
                if found is not None:
                    found.path.append(name)
                    return found
            elif not optional:
                return Found([name], "missing")
        return None

    return check


def _array(items: Check) -> Check:
    def check(value: object) -> Found | None:
        if not isinstance(value, list | tuple):
            return Found([], f"expected an array, got {_shown(value)}")
        for n, item in enumerate(value):
            found = items(item)
            if found is not None:
                found.path.append(f"[{n}]")
                return found
        return None

    return check


def _map(values: Check) -> Check:
    def check(value: object) -> Found | None:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            return Found([], f"expected a map with string keys, got {_shown(value)}")
        for key, item in value.items():
            found = values(item)
            if found is not None:
                found.path.append(f"[{key!r}]")
                return found
        return None

    return check


def _union(branches: list[Check], schema: list[Any]) -> Check:
    if len(schema) == 2 and "null" in schema:
        # the usual union: a value that is not null is told what is wrong with it as the type
        typed = branches[1 - schema.index("null")]
        return lambda value: None if value is None else typed(value)

    def check(value: object) -> Found | None:
        for branch in branches:
            if branch(value) is None:
                return None
        return Found([], f"{_shown(value)} matches no branch of the union")

    return check


def _enum(symbols: list[str]) -> Check:
    known = frozenset(symbols)

    def check(value: object) -> Found | None:
        if isinstance(value, str) and value in known:
            return None
        return Found([], f"{_shown(value)} is not one of {', '.join(symbols)}")

    return check


def _fixed(size: int) -> Check:
    def check(value: object) -> Found | None:
        if isinstance(value, bytes) and len(value) == size:
            return None
        return Found([], f"expected {size} bytes, got {_shown(value)}")

    return check


def _primitive(kind: str, logical: str | None) -> Check:  # noqa: PLR0911 (one return per Avro kind)
    if kind == "null":
        return _instance_of(type(None), "null")
    if kind == "boolean":
        return _instance_of(bool, "a boolean")
    if kind in {"int", "long"}:
        return _integer(kind, logical in _TIME_TYPES)
    if kind in {"float", "double"}:
        return _instance_of(int | float, f"a {kind}", but_not=bool)
    if kind == "string":
        return _uuid() if logical == "uuid" else _instance_of(str, "a string")
    if kind == "bytes":
        return _instance_of(bytes, "bytes")
    return _unknown(kind)


def _instance_of(kind: Any, expected: str, but_not: type | None = None) -> Check:
    def check(value: object) -> Found | None:
        if isinstance(value, kind) and (but_not is None or not isinstance(value, but_not)):
            return None
        return Found([], f"expected {expected}, got {_shown(value)}")

    return check


def _integer(kind: str, or_time: bool) -> Check:
    low, high = INT_RANGE if kind == "int" else LONG_RANGE

    def check(value: object) -> Found | None:
        if type(value) is not int:  # the usual case is one type test; bool is no int here
            if or_time and isinstance(value, dt.datetime | dt.date):
                return None
            if not isinstance(value, int) or isinstance(value, bool):
                return Found([], f"expected an {kind}, got {_shown(value)}")
        if low <= value <= high:
            return None
        return Found([], f"{value} is outside Avro {kind}'s range")

    return check


def _uuid() -> Check:
    def check(value: object) -> Found | None:
        if not isinstance(value, str):
            return Found([], f"expected a string, got {_shown(value)}")
        if UUID_FORM.fullmatch(value) is None:
            return Found([], f"{_shown(value)} is not a UUID")
        return None

    return check


def _unknown(kind: str) -> Check:
    return lambda _value: Found([], f"unknown Avro type {kind!r}")


def _shown(value: object) -> str:
    return f"{value!r:.40}"
