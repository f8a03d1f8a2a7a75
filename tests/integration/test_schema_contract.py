"""The Avro contract: documented, registrable, and safe to evolve (checked by the registry)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas.compat import check, released_text
from schemas.contract import contract_text, shared_types
from schemas.outputs import SCHEMA_NAMES
from sportsfeed.core.kafka_clients import Endpoints


def _fields(schema: Any) -> list[dict[str, Any]]:
    """Every field of every record in a schema, nested ones included."""
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        for field in schema.get("fields", []):
            found.append(field)
            found += _fields(field["type"])
        found += _fields(schema.get("items"))
    elif isinstance(schema, list):
        for branch in schema:
            found += _fields(branch)
    return found


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_field_is_documented(name: str) -> None:
    schema = json.loads(contract_text(name))
    assert schema.get("doc")
    undocumented = [f["name"] for f in _fields(schema) if not f.get("doc")]
    assert undocumented == []


def test_working_tree_is_backward_compatible_with_releases(stack: Endpoints) -> None:
    verdicts = check(stack.registry_url)
    assert [v.name for v in verdicts] == list(SCHEMA_NAMES)
    assert all(v.compatible for v in verdicts), verdicts


def _with_required_field(text: str) -> str:
    schema = json.loads(text)
    schema["fields"].append({"name": "brandNew", "type": "string", "doc": "no default"})
    return json.dumps(schema)


def _without_enum_symbol(text: str) -> str:
    schema = json.loads(text)
    sport = next(f for f in schema["fields"] if f["name"] == "sport")
    sport["type"]["symbols"].remove("SNOOKER")
    return json.dumps(schema)


@pytest.mark.parametrize("breaking", [_with_required_field, _without_enum_symbol])
def test_check_rejects_a_breaking_change(stack: Endpoints, breaking: Any) -> None:
    released = released_text("fixture_score")
    (verdict,) = check(stack.registry_url, {"fixture_score": (released, breaking(released))})
    assert not verdict.compatible


def test_check_accepts_an_optional_field(stack: Endpoints) -> None:
    released = released_text("fixture_score")
    schema = json.loads(released)
    schema["fields"].append(
        {"name": "note", "type": ["null", "string"], "default": None, "doc": "x"}
    )
    (verdict,) = check(stack.registry_url, {"fixture_score": (released, json.dumps(schema))})
    assert verdict.compatible


def test_check_sees_an_edit_to_a_shared_type(stack: Endpoints) -> None:
    """A field without a default added to the one shared Source breaks every topic using it."""
    edited = json.loads(json.dumps(shared_types()))
    edited["sportsfeed.fixture.Source"]["fields"].append(
        {"name": "brandNew", "type": "int", "doc": "no default"}
    )
    pairs = {name: (released_text(name), contract_text(name, edited)) for name in SCHEMA_NAMES}
    verdicts = {v.name: v.compatible for v in check(stack.registry_url, pairs)}
    assert verdicts == {
        "feed_status": True,
        "fixture_score": False,
        "period_delta": False,
        "fixture_finished": False,
        "market_state": False,
    }
