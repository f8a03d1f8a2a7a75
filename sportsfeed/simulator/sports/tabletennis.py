"""Simulator: a table tennis match: best of 5 or 7 games to 11, won by 2, serve every 2 points."""

from __future__ import annotations

from typing import Final

from sportsfeed.simulator.model import ActionType, Truth
from sportsfeed.simulator.sports.builder import MatchBuilder, ordinal
from sportsfeed.simulator.sports.rallies import RallyRules
from sportsfeed.simulator.sports.rallies import play as play_rallies

POINT_STARTED: Final = ActionType(1101, "Point Started")
POINT_SCORED: Final = ActionType(1102, "Point Scored")
SWAP_SERVE: Final = ActionType(1103, "Swap Serve")
GAME_POINT: Final = ActionType(1105, "Game Point")
MATCH_POINT: Final = ActionType(1108, "Match Point")
TEAMS: Final = [
    "LI Wen",
    "OKAFOR Ada",
    "BERG Nils",
    "SATO Yui",
    "MORENO Lucia",
    "KOVAC Petra",
    "DUBOIS Remi",
    "HALL Owen",
]


def _server_after(server: bool, _winner: bool, played: int, points: list[int]) -> bool:
    deuce = min(points) >= 10
    swap = deuce or played % 2 == 0
    return not server if swap else server


def _announce(
    b: MatchBuilder, points: list[int], target: int, won: list[int], to_win: int, _period: int
) -> None:
    """After a point: Swap Serve and Game/Match Point actions, as the vendor sends them."""
    played = sum(points)
    if min(points) >= 10 or played % 2 == 0:
        b.play(SWAP_SERVE, None)
    for side in (0, 1):
        leads = points[side] >= target - 1 and points[side] > points[1 - side]
        if leads:
            deciding = won[side] == to_win - 1
            b.play(MATCH_POINT if deciding else GAME_POINT, side == 0)


def play(b: MatchBuilder, best_of: int) -> Truth:
    rules = RallyRules(
        point_started=POINT_STARTED,
        point_scored=POINT_SCORED,
        period_label=lambda n: f"{ordinal(n)} Set",
        target=lambda _n, _to_win: 11,
        rally_seconds=(4, 15),
        server_after=_server_after,
        on_point=_announce,
    )
    return play_rallies(b, rules, periods_to_win=best_of // 2 + 1)
