"""The benchmark's pure pieces: re-measuring one RESULTS.md section, the output equality check
that a baseline must pass to count, and the Quix Streams venv's pins."""

from __future__ import annotations

import pytest

from bench.quix_env import CORE, QUIXSTREAMS, pins, requirements
from bench.replay import differing
from bench.report import merged

OLD = """# Benchmark results

Machine: old.

## Producer

Measured on day 1.

| producer row |

## Replay

Measured on day 1.

| old replay row |

### an old subsection, replaced with its section

## Fail safe

| fail-safe row |
"""

NEW = """# Benchmark results

Machine: new.

## Replay

Measured on day 2.

| new replay row |

## Tail

| a section the old file lacked |
"""


# The replay section in its old place, the others as they were, the new section at the end.
MERGED = """# Benchmark results

Machine: new.

## Producer

Measured on day 1.

| producer row |

## Replay

Measured on day 2.

| new replay row |

## Fail safe

| fail-safe row |

## Tail

| a section the old file lacked |
"""


def test_one_section_measured_again_replaces_only_that_section() -> None:
    assert merged(OLD, NEW) == MERGED


def test_a_file_without_sections_takes_the_new_report_whole() -> None:
    assert merged("", NEW) == NEW


def test_outputs_equal_record_for_record_have_no_differences() -> None:
    mine = {("fixture_score", b"f1"): [b"a", b"b"], ("period_delta", b"f2"): [b"c"]}
    assert differing(mine, {key: list(records) for key, records in mine.items()}) == []


def test_outputs_differ_in_order_content_or_presence() -> None:
    mine = {
        ("fixture_score", b"f1"): [b"a", b"b"],
        ("fixture_score", b"f2"): [b"c"],
        ("period_delta", b"f3"): [b"d"],
        ("fixture_finished", b"f4"): [b"e"],
    }
    theirs = {
        ("fixture_score", b"f1"): [b"b", b"a"],  # the same records in another order
        ("fixture_score", b"f2"): [b"c", b"c"],  # a repeat
        ("fixture_finished", b"f4"): [b"e"],
        ("fixture_finished", b"f5"): [b"x"],  # a fixture the worker never wrote
    }  # ("period_delta", b"f3") missing
    assert differing(mine, theirs) == [
        ("fixture_finished", b"f5"),
        ("fixture_score", b"f1"),
        ("fixture_score", b"f2"),
        ("period_delta", b"f3"),
    ]


def test_pins_are_taken_from_the_dependencies_whatever_the_case() -> None:
    dependencies = ["faust-streaming==0.15.3", "FastAvro==1.13.1", "orjson==3.13.0  "]
    assert pins(dependencies, ["fastavro", "orjson"]) == ["FastAvro==1.13.1", "orjson==3.13.0"]
    with pytest.raises(ValueError, match="httpx"):
        pins(["httpx>=0.28"], ["httpx"])


def test_the_quix_venv_gets_quixstreams_and_the_projects_pin_of_every_core_dependency() -> None:
    wanted = requirements()
    assert wanted[0] == QUIXSTREAMS
    assert [line.split("==")[0].lower() for line in wanted[1:]] == list(CORE)
    assert "fastavro==1.13.1" in wanted  # pyproject.toml's pin, as the worker encodes with
