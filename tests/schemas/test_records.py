"""Each declared output's typed record matches its `.avsc` field for field, nested types too.

Walks the schema as registered (shared types inlined) beside the TypedDict's annotations:
the same field names in the same order, a default exactly where the key may be left out,
null allowed exactly where the annotation allows None, and each nested record, array and
primitive matched in kind.
"""

import copy
import json
import pickle
import types
import typing
from typing import Any

import pytest

from schemas.contract import contract_text
from schemas.outputs import OUTPUTS, Output
from sportsfeed.core.topics import Topics

PRIMITIVES = {
    "string": str,
    "int": int,
    "long": int,
    "boolean": bool,
    "double": float,
    "float": float,
    "bytes": bytes,
}


def mismatches(avro: Any, annotation: Any, path: str, named: dict[str, Any]) -> list[str]:
    """Where `annotation` does not describe values of the Avro type `avro`."""
    nullable = isinstance(avro, list) and "null" in avro
    args = typing.get_args(annotation)
    allows_none = typing.get_origin(annotation) in (typing.Union, types.UnionType) and (
        type(None) in args
    )
    if nullable != allows_none:
        return [f"{path}: null {'allowed' if nullable else 'not allowed'} by the schema"]
    if allows_none:
        (annotation,) = [arg for arg in args if arg is not type(None)]
    if isinstance(avro, list):
        branches = [branch for branch in avro if branch != "null"]
        if len(branches) != 1:
            return [f"{path}: unions of several types are not typed here"]
        avro = branches[0]
    if isinstance(avro, str) and avro not in PRIMITIVES:
        avro = named[avro.rsplit(".", 1)[-1]]  # a named type, written out where first used
    return kind_mismatches(avro, annotation, path, named)


def kind_mismatches(avro: Any, annotation: Any, path: str, named: dict[str, Any]) -> list[str]:
    """`mismatches` of a type that is not a union."""
    if isinstance(avro, str):
        return [] if PRIMITIVES.get(avro) is annotation else [f"{path}: {avro} is not {annotation}"]
    kind = avro["type"]
    if kind in ("record", "enum"):
        named[avro["name"]] = avro
    if kind == "record":
        return record_mismatches(avro, annotation, path, named)
    if kind == "array":
        if typing.get_origin(annotation) is not list:
            return [f"{path}: an array is not {annotation}"]
        return mismatches(avro["items"], typing.get_args(annotation)[0], f"{path}[]", named)
    expected = str if kind == "enum" else PRIMITIVES.get(kind)  # enum symbols; a logical type
    return [] if annotation is expected else [f"{path}: {kind} is not {annotation}"]


def record_mismatches(
    avro: dict[str, Any], typed: Any, path: str, named: dict[str, Any]
) -> list[str]:
    if not typing.is_typeddict(typed) or typed.__name__ != avro["name"]:
        return [f"{path}: record {avro['name']} is typed {typed}"]
    hints = typing.get_type_hints(typed)
    fields = avro["fields"]
    found = []
    if list(hints) != [field["name"] for field in fields]:
        found.append(f"{path}: fields {[f['name'] for f in fields]}, typed {list(hints)}")
    for field in fields:
        name = field["name"]
        if name not in hints:
            continue
        if ("default" in field) != (name in typed.__optional_keys__):
            found.append(f"{path}.{name}: a default in the schema iff the key may be left out")
        found += mismatches(field["type"], hints[name], f"{path}.{name}", named)
    return found


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda output: output.suffix)
def test_each_record_type_matches_its_schema_field_for_field(output: Output[Any]) -> None:
    schema = json.loads(contract_text(output.schema))
    assert record_mismatches(schema, output.record, output.suffix, {}) == []


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda output: output.suffix)
def test_each_output_is_the_topic_of_the_topic_contract(output: Output[Any]) -> None:
    topics = Topics("p.")
    assert output.topic(topics) == getattr(topics, output.schema)


def test_a_misspelt_or_wrongly_optional_field_is_found() -> None:
    schema = json.loads(contract_text("fixture_score"))

    class Team(typing.TypedDict):
        id: typing.NotRequired[str | None]
        name: str  # the schema says nullable, with a default

    class FixtureScore(typing.TypedDict):
        fixtureId: str
        sprot: str

    found = record_mismatches(schema, FixtureScore, "fixture-score", {})
    assert any("fields" in line for line in found)
    team = schema["fields"][2]["type"]
    assert record_mismatches(team, Team, "team", {}) == [
        "team.name: a default in the schema iff the key may be left out",
        "team.name: null allowed by the schema",
    ]


def test_a_copied_output_is_the_same_output() -> None:
    """Stream libraries copy values between steps (Quix Streams pickles them): a copied output
    must still find its writer, which the processor looks up by identity."""
    writers = {output: output.schema for output in OUTPUTS}
    for output in OUTPUTS:
        for copied in (pickle.loads(pickle.dumps(output)), copy.deepcopy(output)):  # noqa: S301 (our own bytes)
            assert copied is output
            assert writers[copied] == output.schema
