"""fixture-score: the summary is the authority; statistics-only fixtures follow sport rules."""

from __future__ import annotations

import itertools
from pathlib import Path

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.derive.fixture_score import from_statistics
from processors.frames import StatisticsFrame, parse
from schemas.outputs import FIXTURE_FINISHED, FIXTURE_SCORE
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import generated
from sportsfeed.simulator.model import SendType
from tests.processors.streams import STATISTICS_ONLY, interleaved, run

EXAMPLE = Path(__file__).parent / "data" / "tabletennis_statistics_example.json"
SEEDS = st.integers(min_value=0, max_value=10_000)


@settings(max_examples=25, deadline=None)
@given(sport=st.sampled_from(list(Sport)), seed=SEEDS)
def test_the_last_score_is_the_generators_result(sport: Sport, seed: int) -> None:
    fixture = generated(sport, seed)
    truth = fixture.truth()
    last = run(fixture, interleaved(fixture)).of(FIXTURE_SCORE)[-1]
    assert (last["homeScore"], last["awayScore"]) == (truth["homeScore"], truth["awayScore"])
    points = [[p["homePoints"], p["awayPoints"]] for p in last["periods"]]
    assert points == truth["periodScores"]
    assert last["finished"] is True
    assert (last["homeTeam"]["name"], last["awayTeam"]["name"]) == (
        (fixture.home.name, fixture.away.name)
        if not fixture.quirks.omit_home_team
        else (None, None)  # the actions feed never said which team is home
    )


@settings(max_examples=15, deadline=None)
@given(sport=st.sampled_from([Sport.TABLE_TENNIS, Sport.VOLLEYBALL]), seed=SEEDS)
def test_a_statistics_only_fixture_is_scored_by_the_sports_rules(sport: Sport, seed: int) -> None:
    fixture = generated(sport, seed)
    truth = fixture.truth()
    scores = run(fixture, interleaved(fixture, [Feed.STATISTICS]), feeds=STATISTICS_ONLY).of(
        FIXTURE_SCORE
    )
    last = scores[-1]
    assert (last["homeScore"], last["awayScore"]) == (truth["homeScore"], truth["awayScore"])
    assert [[p["homePoints"], p["awayPoints"]] for p in last["periods"]] == truth["periodScores"]
    assert all(record["source"]["feed"] == "STATISTICS" for record in scores)
    # Games won only ever rise, one at a time, and nobody passes the number that wins the match.
    wins = [(r["homeScore"], r["awayScore"]) for r in scores]
    assert all(0 <= b[0] - a[0] + b[1] - a[1] <= 1 for a, b in itertools.pairwise(wins))


def test_statistics_never_score_a_fixture_that_has_an_actions_feed() -> None:
    fixture = generated(Sport.TABLE_TENNIS, 5)
    statistics_first = run(fixture, interleaved(fixture, [Feed.STATISTICS]))  # both subscribed
    assert statistics_first.of(FIXTURE_SCORE) == []
    assert statistics_first.of(FIXTURE_FINISHED) == []


def test_the_vendors_table_tennis_example_is_3_2_in_games() -> None:
    frame = parse(Feed.STATISTICS, EXAMPLE.read_bytes())
    assert isinstance(frame, StatisticsFrame)
    score = from_statistics(frame, Sport.TABLE_TENNIS)
    assert score is not None
    assert (score["homeScore"], score["awayScore"]) == (3, 2)
    documented = [(4, 11), (11, 9), (10, 12), (11, 9), (11, 7)]
    assert [(p["homePoints"], p["awayPoints"]) for p in score["periods"]] == documented
    assert all(p["ended"] for p in score["periods"])


def test_sports_without_a_statistics_rule_are_not_scored_from_statistics() -> None:
    last = generated(Sport.SOCCER, 1).stream(Feed.STATISTICS).frames[-1]
    frame = parse(Feed.STATISTICS, last.text.encode())
    assert isinstance(frame, StatisticsFrame)
    assert from_statistics(frame, Sport.SOCCER) is None


def test_a_deleted_goal_lowers_the_score_again() -> None:
    for seed in range(200):  # the first generated soccer match with a deleted goal
        fixture = generated(Sport.SOCCER, seed)
        assert fixture.match is not None
        if any(a.send_type is SendType.DELETED and a.points for a in fixture.match.actions):
            break
    frames = interleaved(fixture, [Feed.ACTIONS])
    scores = run(fixture, frames).of(FIXTURE_SCORE)
    totals = [r["homeScore"] + r["awayScore"] for r in scores]
    assert any(later < earlier for earlier, later in itertools.pairwise(totals))
    # Independently: each record equals the summary of the frame it names.
    texts = {pos: text for _, pos, text in frames}
    for record in scores:
        summary = orjson.loads(texts[record["source"]["position"]])["fixtureSummary"]
        assert (record["homeScore"], record["awayScore"]) == (
            summary["homeTeamScore"],
            summary["awayTeamScore"],
        )
