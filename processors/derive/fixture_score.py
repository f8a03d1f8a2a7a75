"""Derive: the current score of a fixture (`FixtureScore`, topic fixture-score).

From the actions feed the vendor's `fixtureSummary` is the authority, so a deleted goal lowers
the score again. A fixture known only through statistics is scored from its "Point Scored"
aggregates by the sport's rules (table tennis, volleyball); other sports need the actions feed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from processors.frames import ActionsFrame, StatisticsFrame, TeamRef
from schemas.records import FixtureScoreBody, PeriodScore, Team
from sportsfeed.core.vendor import Sport

LEAD: Final = 2
POINT_SCORED: Final = "point scored"

# Points that win a period (game, set), by period number; won by LEAD clear.
PERIOD_TARGET: Final[dict[Sport, Callable[[int], int]]] = {
    Sport.TABLE_TENNIS: lambda _period: 11,
    Sport.VOLLEYBALL: lambda period: 15 if period == 5 else 25,
}


def team_record(team: TeamRef | None) -> Team:
    if team is None:
        return {"id": None, "name": None}
    return {"id": team.id, "name": team.name}


def from_actions(
    frame: ActionsFrame, sport: Sport, home: TeamRef | None, away: TeamRef | None
) -> FixtureScoreBody:
    """The score as the frame's `fixtureSummary` states it (without `source`)."""
    return {
        "fixtureId": frame.fixture_id,
        "sport": sport.name,
        "homeTeam": team_record(home),
        "awayTeam": team_record(away),
        "homeScore": frame.home_score,
        "awayScore": frame.away_score,
        "periods": [
            period_record(p.number, p.type, p.label, p.home_points, p.away_points, p.ended)
            for p in sorted(frame.periods, key=lambda p: p.number)
        ],
        "currentPeriod": frame.current_period,
        "status": frame.status,
        "clock": frame.clock,
        "clockRunning": frame.clock_running,
        "finished": frame.finished,
    }


def period_record(
    number: int, type_: str, label: str | None, home: int, away: int, ended: bool
) -> PeriodScore:
    return {
        "period": number,
        "type": type_,
        "label": label,
        "homePoints": home,
        "awayPoints": away,
        "ended": ended,
    }


def from_statistics(frame: StatisticsFrame, sport: Sport) -> FixtureScoreBody | None:
    """The score by the sport's rules from the snapshot's points per period; None if it has none."""
    target = PERIOD_TARGET.get(sport)
    if target is None:
        return None
    points: dict[int, list[int]] = {number: [0, 0] for number in frame.periods}
    for (_, home, period, _, sub_id), aggregate in frame.aggregates.items():
        if sub_id is None and aggregate.action.lower() == POINT_SCORED:
            points.setdefault(period, [0, 0])[0 if home else 1] += aggregate.value
    periods: list[PeriodScore] = []
    won = [0, 0]
    for number in sorted(points):
        home_points, away_points = points[number]
        ended = max(home_points, away_points) >= target(number) and (
            abs(home_points - away_points) >= LEAD
        )
        if ended:
            won[0 if home_points > away_points else 1] += 1
        type_, label = frame.periods.get(number, ("Regular", None))
        periods.append(period_record(number, type_, label, home_points, away_points, ended))
    teams = {team.home: team for team in frame.teams}
    return {
        "fixtureId": frame.fixture_id,
        "sport": sport.name,
        "homeTeam": team_record(teams.get(True)),
        "awayTeam": team_record(teams.get(False)),
        "homeScore": won[0],
        "awayScore": won[1],
        "periods": periods,
        "currentPeriod": max(points, default=0),
        "status": None,
        "clock": None,
        "clockRunning": None,
        "finished": frame.finished,
    }
