"""Derive: the one `FixtureFinished` of a fixture, from the score that first says it finished."""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]
SHOOTOUT = "shootout"


def winner(score: Record) -> str:
    """HOME, AWAY or DRAW; a drawn soccer match with a shootout goes to the shootout's winner."""
    home, away = score["homeScore"], score["awayScore"]
    if home == away:
        for period in score["periods"]:
            if period["type"].lower() == SHOOTOUT:
                home, away = period["homePoints"], period["awayPoints"]
    if home == away:
        return "DRAW"
    return "HOME" if home > away else "AWAY"


def fixture_finished(score: Record) -> Record:
    """The final result from a `FixtureScore` record that says finished (without `source`)."""
    fields = ("fixtureId", "sport", "homeTeam", "awayTeam", "homeScore", "awayScore", "periods")
    return {name: score[name] for name in fields} | {"winner": winner(score)}
