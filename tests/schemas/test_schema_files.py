"""The Avro contract as files: each named type declared once, enums with a default, specific
names in a namespace, and every earlier name still readable through an alias."""

from __future__ import annotations

import io
import json
from collections import Counter
from importlib import resources
from typing import Any

import fastavro
import pytest

from schemas.compat import released_text
from schemas.contract import contract_text, file_text, shared_types
from schemas.outputs import SCHEMA_NAMES


def _named(schema: Any, namespace: str = "") -> list[dict[str, Any]]:
    """Every named type declared inside `schema`, each with its full name under "fullName"."""
    if isinstance(schema, list):
        return [t for branch in schema for t in _named(branch, namespace)]
    if not isinstance(schema, dict):
        return []
    found = []
    if schema.get("type") in {"record", "enum", "fixed"}:
        namespace = schema.get("namespace", namespace)
        found.append({**schema, "fullName": f"{namespace}.{schema['name']}"})
    for field in schema.get("fields", []):
        found += _named(field["type"], namespace)
    for key in ("items", "values"):
        found += _named(schema.get(key), namespace)
    return found


def _declared_in_files() -> list[dict[str, Any]]:
    shared = [t for declared in shared_types().values() for t in _named(declared)]
    return shared + [t for name in SCHEMA_NAMES for t in _named(json.loads(file_text(name)))]


def test_every_named_type_is_declared_in_one_file_only() -> None:
    declared = Counter(t["fullName"] for t in _declared_in_files())
    assert [name for name, count in declared.items() if count > 1] == []


def test_shared_files_are_named_by_their_type() -> None:
    folder = resources.files("schemas").joinpath("shared")
    files = sorted(f.name for f in folder.iterdir() if f.name.endswith(".avsc"))
    assert files == sorted(f"{name}.avsc" for name in shared_types())
    assert {"Sport", "Feed", "Source", "Team", "PeriodScore"} <= {
        name.rsplit(".", 1)[1] for name in shared_types()
    }


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_the_registered_schema_declares_each_type_once_and_parses(name: str) -> None:
    schema = json.loads(contract_text(name))
    names = [t["fullName"] for t in _named(schema)]
    assert len(names) == len(set(names))
    assert isinstance(fastavro.parse_schema(schema), dict)


def test_every_enum_has_a_default_among_its_symbols() -> None:
    enums = [t for t in _declared_in_files() if t["type"] == "enum"]
    assert len(enums) >= 7
    assert [t["fullName"] for t in enums if t.get("default") not in t["symbols"]] == []


def test_every_type_sits_in_a_namespace_below_sportsfeed() -> None:
    names = {t["fullName"] for t in _declared_in_files()}
    assert [n for n in names if n.count(".") < 2 or not n.startswith("sportsfeed.")] == []
    generic = {"State", "Change", "Reason"}
    assert [n for n in names if n.rsplit(".", 1)[1] in generic] == []


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_released_name_is_the_name_or_an_alias_of_a_type(name: str) -> None:
    """Readers built from this contract resolve records written under the released names."""
    current = _named(json.loads(contract_text(name)))
    known = {t["fullName"] for t in current} | {a for t in current for a in t.get("aliases", [])}
    released = {t["fullName"] for t in _named(json.loads(released_text(name)))}
    assert released - known == set()


def test_a_record_of_the_released_schema_reads_with_the_contract() -> None:
    """fastavro resolves the renamed types by their aliases, and a symbol unknown to the reader
    by the enum's default."""
    writer = json.loads(released_text("fixture_score"))
    next(f for f in writer["fields"] if f["name"] == "sport")["type"]["symbols"].append("CURLING")
    team = {"id": None, "name": "Home"}
    record = {
        "fixtureId": "1bd00469-86fa-4f0b-abcc-30cbef80dacc",
        "sport": "CURLING",
        "homeTeam": team,
        "awayTeam": team,
        "homeScore": 2,
        "awayScore": 1,
        "periods": [
            {
                "period": 1,
                "type": "Regular",
                "label": None,
                "homePoints": 2,
                "awayPoints": 1,
                "ended": True,
            }
        ],
        "currentPeriod": 1,
        "status": None,
        "clock": None,
        "clockRunning": None,
        "finished": True,
        "source": {"feed": "ACTIONS", "sequence": 9, "position": 9, "timestamp": 5},
    }
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(writer), record)
    out.seek(0)
    reader = fastavro.parse_schema(json.loads(contract_text("fixture_score")))
    read = fastavro.schemaless_reader(out, fastavro.parse_schema(writer), reader)
    assert isinstance(read, dict)
    assert (read["sport"], read["homeScore"], read["source"]["feed"]) == ("UNKNOWN", 2, "ACTIONS")


def test_an_edited_shared_type_reaches_every_schema_that_uses_it() -> None:
    edited = json.loads(json.dumps(shared_types()))
    edited["sportsfeed.fixture.Source"]["fields"].append({"name": "brandNew", "type": "int"})
    changed = [n for n in SCHEMA_NAMES if contract_text(n, edited) != contract_text(n)]
    assert changed == ["fixture_score", "period_delta", "fixture_finished", "market_state"]
