"""Simulator: generate a whole match of any of the five sports, deterministically by seed."""

from __future__ import annotations

import datetime as dt
from random import Random

from sportsfeed.core.vendor import Sport
from sportsfeed.simulator.model import Match, Truth
from sportsfeed.simulator.sports import basketball, snooker, soccer, tabletennis, volleyball
from sportsfeed.simulator.sports.builder import MatchBuilder, new_uuid, team

_TEAMS = {
    Sport.SOCCER: soccer.TEAMS,
    Sport.BASKETBALL: basketball.TEAMS,
    Sport.VOLLEYBALL: volleyball.TEAMS,
    Sport.TABLE_TENNIS: tabletennis.TEAMS,
    Sport.SNOOKER: snooker.TEAMS,
}
_EPOCH = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


def generate_match(sport: Sport, seed: int) -> Match:
    """The whole match for `seed`: same sport and seed, same match, byte for byte."""
    rng = Random(f"{sport.value}:{seed}")
    fixture_id = new_uuid(rng)
    home_name, away_name = rng.sample(_TEAMS[sport], 2)
    start = _EPOCH + dt.timedelta(days=rng.randrange(300), minutes=15 * rng.randrange(40))
    match = Match(
        fixture_id=fixture_id,
        sport=sport,
        home=team(rng, [home_name]),
        away=team(rng, [away_name]),
        start_iso=start.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    clock_down = 600.0 if sport is Sport.BASKETBALL else None
    builder = MatchBuilder(match, rng, clock_down_from=clock_down)
    match.truth = _play(sport, builder)
    return match


def _play(sport: Sport, builder: MatchBuilder) -> Truth:
    rng = builder.rng
    if sport is Sport.SOCCER:
        knockout = rng.random() < 0.35
        return soccer.play(builder, knockout=knockout, extra_time=rng.random() < 0.6)
    if sport is Sport.BASKETBALL:
        return basketball.play(builder)
    if sport is Sport.VOLLEYBALL:
        return volleyball.play(builder)
    if sport is Sport.TABLE_TENNIS:
        return tabletennis.play(builder, best_of=rng.choice([5, 7]))
    return snooker.play(builder, best_of=rng.choice([5, 7, 9]))
