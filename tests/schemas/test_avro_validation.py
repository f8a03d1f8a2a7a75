"""Values checked against the .avsc schemas before encoding: every field a reader could not
take is named; everything a reader takes passes."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import fastavro
import pytest
from hypothesis import given, settings

from schemas.contract import contract_text
from schemas.errors import RecordMismatch
from schemas.outputs import SCHEMA_NAMES
from schemas.serde import parsed_schema, validator
from schemas.validation import Validator
from tests.integration.avro_strategies import records

TEAM = "0f8e4cbe-6f3b-4a31-9d35-5a3d2f0f43aa"
SCORE: dict[str, Any] = {
    "fixtureId": "1bd00469-86fa-4f0b-abcc-30cbef80dacc",
    "sport": "SOCCER",
    "homeTeam": {"id": TEAM, "name": "Home"},
    "awayTeam": {"id": None, "name": None},
    "homeScore": 1,
    "awayScore": 0,
    "periods": [
        {
            "period": 1,
            "type": "Regular",
            "label": None,
            "homePoints": 1,
            "awayPoints": 0,
            "ended": False,
        }
    ],
    "currentPeriod": 1,
    "status": "Live",
    "clock": "12:00",
    "clockRunning": True,
    "finished": False,
    "source": {"feed": "ACTIONS", "sequence": 7, "position": 7, "timestamp": 1_700_000_000},
}


def _with(path: list[str | int], value: object) -> dict[str, Any]:
    record = copy.deepcopy(SCORE)
    target: Any = record
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return record


def test_a_readable_record_passes_and_fastavro_reads_it() -> None:
    validator("fixture_score").check(SCORE)
    out = io.BytesIO()
    fastavro.schemaless_writer(out, parsed_schema("fixture_score"), SCORE)
    out.seek(0)
    assert fastavro.schemaless_reader(out, parsed_schema("fixture_score"))["homeScore"] == 1


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["fixtureId"], "not-a-uuid", "fixtureId: 'not-a-uuid' is not a UUID"),
        (["fixtureId"], "1bd0046986fa4f0babcc30cbef80dacc", "fixtureId: .* is not a UUID"),
        (["homeTeam", "id"], "team-7", "homeTeam.id: 'team-7' is not a UUID"),
        (["homeScore"], 2**33, "homeScore: 8589934592 is outside Avro int's range"),
        (["awayScore"], -(2**31) - 1, "awayScore: -2147483649 is outside Avro int's range"),
        (["periods", 0, "awayPoints"], 2**31, r"periods\[0\]\.awayPoints: .* int's range"),
        (["source", "sequence"], 2**64 - 1, "source.sequence: 18446744073709551615 is outside"),
        (["source", "feed"], "VIDEO", "source.feed: 'VIDEO' is not one of ACTIONS, STATISTICS"),
        (["sport"], "CURLING", "sport: 'CURLING' is not one of SOCCER"),
        (["finished"], 1, "finished: expected a boolean, got 1"),
        (["homeScore"], True, "homeScore: expected an int, got True"),
        (["status"], 5, "status: expected a string, got 5"),
    ],
)
def test_a_field_no_reader_could_take_is_named(
    path: list[str | int], value: object, message: str
) -> None:
    with pytest.raises(RecordMismatch, match=message):
        validator("fixture_score").check(_with(path, value))


def test_a_missing_field_without_default_is_named() -> None:
    record = copy.deepcopy(SCORE)
    del record["source"]["position"]
    with pytest.raises(RecordMismatch, match=r"^source\.position: missing$"):
        validator("fixture_score").check(record)


def test_limits_are_inclusive() -> None:
    validator("fixture_score").check(_with(["homeScore"], 2**31 - 1))
    validator("fixture_score").check(_with(["source", "sequence"], 2**63 - 1))


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_record_fastavro_round_trips_passes(name: str) -> None:
    @settings(max_examples=60, deadline=None)
    @given(record=records(json.loads(contract_text(name))))
    def passes(record: dict[str, object]) -> None:
        validator(name).check(record)

    passes()


def test_a_type_used_inside_itself_is_checked_at_every_depth() -> None:
    """A named type may refer to itself (a linked list): its check is compiled once and still
    reaches the innermost value, whose path names every step."""
    node = {
        "type": "record",
        "name": "Node",
        "fields": [
            {"name": "value", "type": "int"},
            {"name": "next", "type": ["null", "Node"], "default": None},
        ],
    }
    chain = {"value": 1, "next": {"value": 2, "next": {"value": 3, "next": None}}}
    Validator(node).check(chain)
    chain["next"]["next"]["value"] = 2**40  # type: ignore[index]
    with pytest.raises(RecordMismatch, match=r"^next\.next\.value: 1099511627776 is outside"):
        Validator(node).check(chain)
