"""The topics' schemas as registered: shared named types inlined where first used (pure).

Named types more than one topic uses (`sportsfeed.fixture.Sport`, `Source`, `Team`, ...) are
declared once, each in `schemas/shared/<full name>.avsc`; a topic's `.avsc` names them by full
name. Avro tools that read a folder resolve such names (avro-maven-plugin with the shared
folder as `imports`, fastavro's `load_schema`), but a registered schema is read alone by every
consumer that fetches it by id, so the registry is given each topic's schema self-contained:
each shared type written out in full at its first use, named thereafter, as Avro requires.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

Shared = Mapping[str, Any]


@cache
def shared_types() -> dict[str, Any]:
    """Every shared named type, by full name, as its `.avsc` declares it."""
    folder = resources.files("schemas").joinpath("shared")
    files = [f for f in folder.iterdir() if f.name.endswith(".avsc")]
    declared = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    return {f"{t['namespace']}.{t['name']}": t for t in declared}


def file_text(name: str) -> str:
    """The topic schema `name` (e.g. "feed_status") as its file says it."""
    return resources.files("schemas").joinpath(f"{name}.avsc").read_text(encoding="utf-8")


def contract_text(name: str, shared: Shared | None = None) -> str:
    """The topic schema `name`, self-contained: what is registered and what readers get.

    `shared` replaces the shipped shared types (a check can try an edited one).
    """
    schema = json.loads(file_text(name))
    return json.dumps(inline(schema, shared_types() if shared is None else shared))


def inline(schema: Any, shared: Shared, written: set[str] | None = None) -> Any:
    """`schema` with each reference to a shared type replaced by the type at its first use."""
    written = set() if written is None else written
    if isinstance(schema, str):
        if schema not in shared or schema in written:
            return schema
        written.add(schema)
        return inline(shared[schema], shared, written)
    if isinstance(schema, list):
        return [inline(branch, shared, written) for branch in schema]
    if not isinstance(schema, Mapping):
        return schema
    out = dict(schema)
    if "fields" in schema:  # in order: Avro defines a name where it is first written
        out["fields"] = [
            {**field, "type": inline(field["type"], shared, written)} for field in schema["fields"]
        ]
    for key in ("items", "values"):
        if key in schema:
            out[key] = inline(schema[key], shared, written)
    return out
