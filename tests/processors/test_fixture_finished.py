"""fixture-finished: exactly one per fixture, with the final score and the right winner."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.derive.fixture_finished import winner
from schemas.outputs import FIXTURE_FINISHED
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import generated
from sportsfeed.simulator.faults import FaultPlan
from tests.processors.streams import STATISTICS_ONLY, interleaved, raw_frames, run


def score(home: int, away: int, *periods: tuple[str, int, int]) -> dict[str, Any]:
    rows = [{"type": t, "homePoints": h, "awayPoints": a} for t, h, a in periods]
    return {"homeScore": home, "awayScore": away, "periods": rows}


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (score(2, 1), "HOME"),
        (score(0, 3), "AWAY"),
        (score(1, 1, ("Regular", 1, 0), ("Regular", 0, 1)), "DRAW"),
        (score(1, 1, ("Regular", 1, 1), ("Shootout", 3, 4)), "AWAY"),
        (score(2, 2, ("Shootout", 5, 4)), "HOME"),
    ],
)
def test_winner(record: dict[str, Any], expected: str) -> None:
    assert winner(record) == expected


@settings(max_examples=25, deadline=None)
@given(
    sport=st.sampled_from(list(Sport)),
    seed=st.integers(0, 10_000),
    statistics_first=st.booleans(),
)
def test_one_finished_event_per_fixture_matching_the_result(
    sport: Sport, seed: int, statistics_first: bool
) -> None:
    fixture = generated(sport, seed)
    fixture.set_faults(FaultPlan(duplicate_rate=0.1))
    frames = interleaved(fixture)
    if statistics_first:  # the final snapshot overtakes the final actions frame
        final = next(raw for raw in reversed(frames) if raw[0] is Feed.STATISTICS)
        frames.remove(final)
        frames.insert(frames.index(raw_frames(fixture, Feed.ACTIONS)[-1]), final)
    finished = run(fixture, frames).of(FIXTURE_FINISHED)
    assert len(finished) == 1
    truth, event = fixture.truth(), finished[0]
    assert (event["homeScore"], event["awayScore"]) == (truth["homeScore"], truth["awayScore"])
    assert event["winner"] == str(truth["winner"]).upper()
    assert [[p["homePoints"], p["awayPoints"]] for p in event["periods"]] == truth["periodScores"]
    assert event["source"]["feed"] == "ACTIONS"  # a fixture with actions is finished by them


def test_a_statistics_only_fixture_finishes_from_its_statistics() -> None:
    fixture = generated(Sport.TABLE_TENNIS, 3)
    finished = run(fixture, interleaved(fixture, [Feed.STATISTICS]), feeds=STATISTICS_ONLY).of(
        FIXTURE_FINISHED
    )
    assert [(e["source"]["feed"], e["winner"]) for e in finished] == [
        ("STATISTICS", str(fixture.truth()["winner"]).upper())
    ]
