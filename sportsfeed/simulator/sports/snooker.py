"""Simulator: a snooker match: best of N frames; visits with breaks, fouls and concessions."""

from __future__ import annotations

from typing import Final

from sportsfeed.simulator.model import ActionType, Truth
from sportsfeed.simulator.sports.builder import MatchBuilder, ordinal

BREAK: Final = ActionType(301, "Break")
MISS: Final = ActionType(302, "Miss")
FOUL: Final = ActionType(308, "Foul")
FOUL_POINTS: Final = ActionType(309, "Foul Points")
CONCEDE: Final = ActionType(310, "Frame Conceded")
RESPOTTED_BLACK: Final = ActionType(311, "Re-spotted Black")
TEAMS: Final = [
    "ADEYEMI Tom",
    "BRANDT Kai",
    "CHEN Hao",
    "DOYLE Sean",
    "EVANS Rhys",
    "FISCHER Jan",
    "GRANT Leo",
    "HUANG Mei",
]
MAX_BREAK: Final = 147
MAX_VISITS: Final = 60


def play(b: MatchBuilder, best_of: int) -> Truth:
    to_win = best_of // 2 + 1
    won = [0, 0]
    frames: list[tuple[int, int]] = []
    b.start_match()
    while max(won) < to_win:
        number = len(frames) + 1
        points = _frame(b, number)
        won[0 if points[0] > points[1] else 1] += 1
        frames.append((points[0], points[1]))
        b.advance(120, 300)
    b.end_match()
    return Truth(won[0], won[1], tuple(frames), won[0] > won[1])


def _frame(b: MatchBuilder, number: int) -> list[int]:
    rng = b.rng
    points, remaining = [0, 0], MAX_BREAK
    b.start_period(number, "Regular", f"{ordinal(number)} Frame", 30 * 60)
    player = number % 2 == 1
    for visit in range(MAX_VISITS):
        b.advance(20, 90)
        side, other = (0, 1) if player else (1, 0)
        roll = rng.random()
        if roll < 0.35 and remaining > 0:
            scored = min(remaining, rng.randint(1, 45))
            b.play(BREAK, player, points=scored)
            points[side] += scored
            remaining -= scored
        elif roll < 0.45:
            penalty = rng.randint(4, 7)
            b.play(FOUL, player)
            b.play(FOUL_POINTS, not player, points=penalty)
            points[other] += penalty
        else:
            b.play(MISS, player)
        last_visit = visit == MAX_VISITS - 1
        if points[0] == points[1] and (remaining == 0 or last_visit):
            b.play(RESPOTTED_BLACK, player, points=7)
            points[side] += 7
            break
        behind = 0 if points[0] < points[1] else 1
        if points[1 - behind] - points[behind] > remaining or last_visit:
            b.play(CONCEDE, behind == 0)
            break
        player = not player
    b.end_period()
    return points
