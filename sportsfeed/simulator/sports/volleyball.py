"""Simulator: a volleyball match: best of five sets to 25 (the fifth to 15), won by 2."""

from __future__ import annotations

from typing import Final

from sportsfeed.simulator.model import ActionType, Truth
from sportsfeed.simulator.sports.builder import MatchBuilder, ordinal
from sportsfeed.simulator.sports.rallies import RallyRules
from sportsfeed.simulator.sports.rallies import play as play_rallies

POINT_STARTED: Final = ActionType(401, "Point Started")
POINT_SCORED: Final = ActionType(402, "Point Scored")
TEAMS: Final = [
    "Coastline VC",
    "Alpine Spikers",
    "Delta Volley",
    "Marina Blockers",
    "Highland Aces",
    "Sunset Setters",
    "Prairie Diggers",
    "Harbor Hawks",
]

RULES: Final = RallyRules(
    point_started=POINT_STARTED,
    point_scored=POINT_SCORED,
    period_label=lambda n: f"{ordinal(n)} Set",
    target=lambda n, to_win: 15 if n == 2 * to_win - 1 else 25,
    rally_seconds=(8, 25),
    server_after=lambda _server, winner, _played, _points: winner,  # side-out scoring
)


def play(b: MatchBuilder) -> Truth:
    return play_rallies(b, RULES, periods_to_win=3)
