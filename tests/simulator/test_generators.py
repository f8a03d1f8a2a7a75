"""Generated matches follow each sport's rules, and their frames agree with each other.

The checks fold the rendered frames independently of the simulator's own fold, and compare
with the ground truth the generator decided by the sport's rules.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import generated
from sportsfeed.simulator.model import Truth
from sportsfeed.simulator.render import Quirks, render
from sportsfeed.simulator.sports import generate_match

seeds = st.integers(min_value=0, max_value=2**31)
SET_TARGETS = {Sport.VOLLEYBALL: 25, Sport.TABLE_TENNIS: 11}


def _truth(sport: Sport, seed: int) -> Truth:
    truth = generate_match(sport, seed).truth
    assert truth is not None
    return truth


@settings(max_examples=25, deadline=None)
@given(seed=seeds, sport=st.sampled_from(list(Sport)))
def test_same_seed_gives_same_bytes(seed: int, sport: Sport) -> None:
    first, second = generated(sport, seed), generated(sport, seed)
    for feed in Feed:
        assert [f.text for f in first.stream(feed).frames] == [
            f.text for f in second.stream(feed).frames
        ]


def test_different_seeds_give_different_matches() -> None:
    texts = {
        generated(Sport.SOCCER, seed).stream(Feed.ACTIONS).frames[-1].text for seed in range(5)
    }
    assert len(texts) == 5


@settings(max_examples=40, deadline=None)
@given(seed=seeds, sport=st.sampled_from([Sport.VOLLEYBALL, Sport.TABLE_TENNIS]))
def test_sets_are_races_won_by_two(seed: int, sport: Sport) -> None:
    truth = _truth(sport, seed)
    winner_sets = max(truth.home_score, truth.away_score)
    assert winner_sets in ({3} if sport is Sport.VOLLEYBALL else {3, 4})
    assert min(truth.home_score, truth.away_score) < winner_sets
    assert len(truth.period_scores) == truth.home_score + truth.away_score
    for number, (home, away) in enumerate(truth.period_scores, 1):
        deciding = sport is Sport.VOLLEYBALL and number == 5
        target = 15 if deciding else SET_TARGETS[sport]
        high, low = max(home, away), min(home, away)
        assert high >= target
        assert high - low >= 2
        assert high == target or high - low == 2  # past the target only through deuce
    assert truth.winner == (truth.home_score > truth.away_score)
    sets_won_home = sum(h > a for h, a in truth.period_scores)
    assert sets_won_home == truth.home_score


@settings(max_examples=40, deadline=None)
@given(seed=seeds)
def test_basketball_has_no_draws_and_overtime_only_when_tied(seed: int) -> None:
    truth = _truth(Sport.BASKETBALL, seed)
    assert truth.home_score != truth.away_score
    assert truth.home_score == sum(h for h, _ in truth.period_scores)
    assert len(truth.period_scores) >= 4
    for played in range(4, len(truth.period_scores)):
        before = truth.period_scores[:played]
        assert sum(h for h, _ in before) == sum(a for _, a in before)


@settings(max_examples=60, deadline=None)
@given(seed=seeds)
def test_soccer_shootout_only_after_a_draw(seed: int) -> None:
    match = generate_match(Sport.SOCCER, seed)
    assert match.truth is not None
    truth = match.truth
    shootout = any(a.period and a.period.type == "Shootout" for a in match.actions)
    regular = truth.period_scores[:-1] if shootout else truth.period_scores
    assert truth.home_score == sum(h for h, _ in regular)
    assert truth.away_score == sum(a for _, a in regular)
    if shootout:
        assert truth.home_score == truth.away_score
        home_pens, away_pens = truth.period_scores[-1]
        assert truth.winner == (home_pens > away_pens)
    else:
        expected = (
            None if truth.home_score == truth.away_score else truth.home_score > truth.away_score
        )
        assert truth.winner == expected


@settings(max_examples=40, deadline=None)
@given(seed=seeds)
def test_snooker_frames(seed: int) -> None:
    truth = _truth(Sport.SNOOKER, seed)
    assert max(truth.home_score, truth.away_score) in {3, 4, 5}
    assert sum(h > a for h, a in truth.period_scores) == truth.home_score
    assert all(h != a for h, a in truth.period_scores)


# -- frames against an independent fold ---------------------------------------------------------


def _standing_after(frames: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    standing: dict[str, dict[str, Any]] = {}
    for frame in frames:
        action = frame["fixtureAction"]
        if action["sendType"] in {"Confirmed", "Updated", "Restored"}:
            standing[action["actionId"]] = action
        elif action["sendType"] in {"Cancelled", "Deleted"}:
            standing.pop(action["actionId"], None)
    return standing


@settings(max_examples=30, deadline=None)
@given(seed=seeds, sport=st.sampled_from(list(Sport)))
def test_actions_frames_are_sequenced_and_end_finished(seed: int, sport: Sport) -> None:
    fixture = generated(sport, seed)
    frames = [orjson.loads(f.text) for f in fixture.stream(Feed.ACTIONS).frames]
    assert [f["fixtureAction"]["fixtureSeqNum"] for f in frames] == list(range(1, len(frames) + 1))
    assert [f["fixtureSummary"]["finished"] for f in frames] == [False] * (len(frames) - 1) + [True]
    assert frames[0]["fixtureAction"]["period"] == 0


@settings(max_examples=30, deadline=None)
@given(seed=seeds, sport=st.sampled_from(list(Sport)))
def test_final_summary_is_the_truth(seed: int, sport: Sport) -> None:
    fixture = generated(sport, seed)
    assert fixture.match is not None
    assert fixture.match.truth is not None
    truth = fixture.match.truth
    final = orjson.loads(fixture.stream(Feed.ACTIONS).frames[-1].text)["fixtureSummary"]
    assert (final["homeTeamScore"], final["awayTeamScore"]) == (truth.home_score, truth.away_score)
    periods = [(p["homeTeamPeriodScore"], p["awayTeamPeriodScore"]) for p in final["periods"]]
    assert tuple(periods) == truth.period_scores


@settings(max_examples=20, deadline=None)
@given(seed=seeds, sport=st.sampled_from([Sport.SOCCER, Sport.BASKETBALL]))
def test_every_summary_agrees_with_the_actions_before_it(seed: int, sport: Sport) -> None:
    fixture = generated(sport, seed)
    frames = [orjson.loads(f.text) for f in fixture.stream(Feed.ACTIONS).frames]
    for index, frame in enumerate(frames):
        points: Counter[tuple[int, bool]] = Counter()
        for action in _standing_after(frames[: index + 1]).values():
            team = action.get("team")
            value = _points(sport, action)
            if team is not None and value:
                points[action["period"], team["id"] == fixture.home.id] += value
        for period in frame["fixtureSummary"]["periods"]:
            expected = (points[period["id"], True], points[period["id"], False])
            assert (period["homeTeamPeriodScore"], period["awayTeamPeriodScore"]) == expected


def _points(sport: Sport, action: dict[str, Any]) -> int:
    """Points of a standing action, worked out from the action names alone."""
    name = action["fixtureActionType"]
    if sport is Sport.SOCCER:
        return int(name == "Goal")
    return {"2PT Made": 2, "3PT Made": 3, "FT Made": 1}.get(name, 0)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, sport=st.sampled_from(list(Sport)))
def test_statistics_are_cumulative_and_agree_with_actions(seed: int, sport: Sport) -> None:
    fixture = generated(sport, seed)
    actions = [orjson.loads(f.text) for f in fixture.stream(Feed.ACTIONS).frames]
    snapshots = [orjson.loads(f.text) for f in fixture.stream(Feed.STATISTICS).frames]
    assert [s["seqNum"] for s in snapshots] == list(range(1, len(snapshots) + 1))
    assert snapshots[-1]["finished"] is True
    for snapshot in snapshots:
        for team in snapshot["teamActionAggregates"]:
            game = {row["actionId"]: row["actionAggregate"] for row in team["gameActionAggregates"]}
            summed: Counter[int] = Counter()
            for period in team["periodActionAggregates"]:
                for row in period["aggregates"]:
                    summed[row["actionId"]] += row["actionAggregate"]
                    assert row["actionAggregate"] >= sum(
                        s["subActionAggregate"] for s in row["subActionAggregates"]
                    )
            assert game == dict(summed)
    # the last snapshot counts exactly the standing, team-owned, non-control actions
    control = {
        "Start Match",
        "End Match",
        "Start Period",
        "End Period",
        "Video Check",
        "Team Colours",
    }
    standing = Counter(
        (a["team"]["id"], a["period"], a["fixtureActionTypeId"])
        for a in _standing_after(actions).values()
        if "team" in a and a["fixtureActionType"] not in control
    )
    counted = Counter()
    for team in snapshots[-1]["teamActionAggregates"]:
        for period in team["periodActionAggregates"]:
            for row in period["aggregates"]:
                counted[team["team"]["id"], period["period"], row["actionId"]] = row[
                    "actionAggregate"
                ]
    assert counted == standing


@settings(max_examples=30, deadline=None)
@given(seed=seeds, sport=st.sampled_from([Sport.VOLLEYBALL, Sport.TABLE_TENNIS]))
def test_point_scored_statistics_give_the_set_scores(seed: int, sport: Sport) -> None:
    fixture = generated(sport, seed)
    assert fixture.match is not None
    assert fixture.match.truth is not None
    last = orjson.loads(fixture.stream(Feed.STATISTICS).frames[-1].text)
    scored: dict[tuple[str, int], int] = {}
    for team in last["teamActionAggregates"]:
        side = str(team["team"]["homeTeam"]).lower()
        for period in team["periodActionAggregates"]:
            for row in period["aggregates"]:
                if row["action"] == "Point Scored":
                    scored[side, period["period"]] = row["actionAggregate"]
    periods = fixture.match.truth.period_scores
    assert [
        (scored.get(("true", n), 0), scored.get(("false", n), 0))
        for n in range(1, len(periods) + 1)
    ] == list(periods)


def test_quirks_appear_in_frames() -> None:
    match = generate_match(Sport.TABLE_TENNIS, 7)
    quirky = Quirks(
        version=1,
        home_team_as_string=True,
        omit_home_team=True,
        clock_state_case="upper",
        nanosecond_timestamps=True,
    )
    actions, statistics = render(match, quirky)
    first_team_action = next(orjson.loads(f.text) for f in actions if '"team"' in f.text)
    assert "homeTeam" not in first_team_action["fixtureAction"]["team"]
    assert "finished" not in first_team_action  # version 1 frames lack it
    assert "collectionStatus" not in first_team_action["fixtureSummary"]
    snapshot = orjson.loads(statistics[-1].text)
    assert snapshot["teamActionAggregates"][0]["team"]["homeTeam"] in {"true", "false"}
    assert len(snapshot["timestamp"].split(".")[1]) == len("093872300Z")
    v3 = render(match, Quirks(version=3, clock_state_case="upper"))[0]
    assert orjson.loads(v3[1].text)["fixtureSummary"]["currentClockState"] in {"RUNNING", "STOPPED"}


def test_amendments_of_every_kind_occur() -> None:
    """Pending, Confirmed, Cancelled, Deleted, Restored (soccer) and Updated (both) all occur."""
    seen: Counter[str] = Counter()
    for seed in range(40):
        for sport in (Sport.SOCCER, Sport.BASKETBALL):
            for frame in generated(sport, seed).stream(Feed.ACTIONS).frames:
                seen[orjson.loads(frame.text)["fixtureAction"]["sendType"]] += 1
    assert {"Pending", "Confirmed", "Cancelled", "Deleted", "Restored", "Updated"} <= set(seen)


def _goals(frame: dict[str, Any]) -> int:
    return int(frame["fixtureSummary"]["homeTeamScore"] + frame["fixtureSummary"]["awayTeamScore"])


def test_a_deleted_goal_lowers_the_score_again() -> None:
    for seed in range(200):
        fixture = generated(Sport.SOCCER, seed)
        frames = [orjson.loads(f.text) for f in fixture.stream(Feed.ACTIONS).frames]
        deleted = [i for i, f in enumerate(frames) if f["fixtureAction"]["sendType"] == "Deleted"]
        if deleted:
            assert _goals(frames[deleted[0]]) == _goals(frames[deleted[0] - 1]) - 1
            return
    raise AssertionError("no deleted goal in 200 soccer matches")
