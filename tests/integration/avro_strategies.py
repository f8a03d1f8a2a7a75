"""Hypothesis strategies that build any record an Avro schema accepts (for round-trip tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_PRIMITIVES: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "int": st.integers(-(2**31), 2**31 - 1),
    "long": st.integers(-(2**63), 2**63 - 1),
    "string": st.text(max_size=30),
    "double": st.floats(allow_nan=False),
}


def records(schema: Any, named: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:  # noqa: PLR0911 (one return per Avro kind)
    """Values of `schema` as `fastavro` writes them, paired with what it reads back."""
    named = {} if named is None else named
    if isinstance(schema, str):
        return records(named[schema], named) if schema in named else _PRIMITIVES[schema]
    if isinstance(schema, list):
        return st.one_of(*(records(branch, named) for branch in schema))
    kind = schema["type"]
    logical = schema.get("logicalType")
    if logical == "uuid":
        return st.uuids().map(str)
    if logical == "timestamp-micros":
        return st.integers(0, 4_000_000_000_000_000)  # to the year 2096
    if kind == "record":
        _remember(schema, named)
        fields = {f["name"]: records(f["type"], named) for f in schema["fields"]}
        return st.fixed_dictionaries(fields)
    if kind == "enum":
        _remember(schema, named)
        return st.sampled_from(schema["symbols"])
    if kind == "array":
        return st.lists(records(schema["items"], named), max_size=3)
    return records(kind, named)


def as_read(value: Any, schema: Any, named: dict[str, Any] | None = None) -> Any:
    """What fastavro gives back for a written `value`: timestamps as datetimes."""
    named = {} if named is None else named
    if isinstance(schema, str):
        return as_read(value, named[schema], named) if schema in named else value
    if isinstance(schema, list):
        branch = next(b for b in schema if _fits(value, b, named))
        return as_read(value, branch, named)
    if schema.get("logicalType") == "timestamp-micros":
        return EPOCH + dt.timedelta(microseconds=value)
    if schema["type"] == "record":
        _remember(schema, named)
        return {f["name"]: as_read(value[f["name"]], f["type"], named) for f in schema["fields"]}
    if schema["type"] == "enum":
        _remember(schema, named)
    if schema["type"] == "array":
        return [as_read(item, schema["items"], named) for item in value]
    return value


def _remember(schema: dict[str, Any], named: dict[str, Any]) -> None:
    """A named type, for later references by its short or (shared types) its full name."""
    named[schema["name"]] = schema
    if "namespace" in schema:
        named[f"{schema['namespace']}.{schema['name']}"] = schema


def _fits(value: Any, branch: Any, named: dict[str, Any]) -> bool:
    if branch == "null":
        return value is None
    if value is None:
        return False
    name = branch if isinstance(branch, str) else branch.get("type")
    expected = {"boolean": bool, "string": str, "int": int, "long": int, "double": float}
    if isinstance(branch, dict) and branch.get("logicalType") == "uuid":
        return isinstance(value, str)
    return isinstance(value, expected.get(name, object))
