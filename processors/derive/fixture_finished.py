"""Derive: the one `FixtureFinished` of a fixture, from the score that first says it finished."""

from __future__ import annotations

from schemas.records import FixtureFinishedBody, FixtureScoreBody

SHOOTOUT = "shootout"


def winner(score: FixtureScoreBody) -> str:
    """HOME, AWAY or DRAW; a drawn soccer match with a shootout goes to the shootout's winner."""
    home, away = score["homeScore"], score["awayScore"]
    if home == away:
        for period in score["periods"]:
            if period["type"].lower() == SHOOTOUT:
                home, away = period["homePoints"], period["awayPoints"]
    if home == away:
        return "DRAW"
    return "HOME" if home > away else "AWAY"


def fixture_finished(score: FixtureScoreBody) -> FixtureFinishedBody:
    """The final result from a `FixtureScore` record that says finished (without `source`)."""
    return {
        "fixtureId": score["fixtureId"],
        "sport": score["sport"],
        "homeTeam": score["homeTeam"],
        "awayTeam": score["awayTeam"],
        "homeScore": score["homeScore"],
        "awayScore": score["awayScore"],
        "periods": score["periods"],
        "winner": winner(score),
    }
