"""Simulator: a basketball game by the rules (four quarters, overtime until untied, clock down)."""

from __future__ import annotations

from typing import Final

from sportsfeed.simulator.model import ActionType, Truth
from sportsfeed.simulator.sports.builder import MatchBuilder

TWO_MADE: Final = ActionType(202, "2PT Made")
THREE_MADE: Final = ActionType(232, "3PT Made")
TWO_MISSED: Final = ActionType(210, "2PT Missed")
THREE_MISSED: Final = ActionType(211, "3PT Missed")
FT_AWARDED: Final = ActionType(213, "FT Awarded")
FT_MADE: Final = ActionType(208, "FT Made")
FT_MISSED: Final = ActionType(209, "FT Missed")
FOUL: Final = ActionType(230, "Foul Against")
TURNOVER: Final = ActionType(201, "Turnover", 20001, "Stolen")
STEAL: Final = ActionType(22, "Steal")
OFFENSIVE_REBOUND: Final = ActionType(204, "Offensive Rebound")
DEFENSIVE_REBOUND: Final = ActionType(205, "Defensive Rebound")
TIMEOUT: Final = ActionType(52, "Timeout")
TEAMS: Final = [
    "Lakeside Comets",
    "Metro Falcons",
    "Riverton Bears",
    "Summit Kings",
    "Bayview Sharks",
    "Granite Giants",
    "Pinecrest Owls",
    "Ironwood Titans",
]

QUARTER: Final = 10 * 60
OVERTIME: Final = 5 * 60


def play(b: MatchBuilder) -> Truth:
    points: list[list[int]] = []
    b.start_match()
    number = 0
    while number < 4 or sum(p[0] for p in points) == sum(p[1] for p in points):
        number += 1
        regular = number <= 4
        label = f"{_nth(number)} quarter" if regular else f"Overtime {number - 4}"
        points.append(
            _period(
                b,
                number,
                "Regular" if regular else "Overtime",
                label,
                QUARTER if regular else OVERTIME,
            )
        )
        b.advance(60, 120 if number != 2 else 600)
    home, away = sum(p[0] for p in points), sum(p[1] for p in points)
    b.end_match()
    return Truth(home, away, tuple((p[0], p[1]) for p in points), home > away)


def _nth(number: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd", 4: "4th"}[number]


def _period(b: MatchBuilder, number: int, kind: str, label: str, length: int) -> list[int]:
    rng = b.rng
    scored = [0, 0]
    b.start_period(number, kind, label, length)
    home = rng.random() < 0.5
    while True:
        b.advance(6, 22)
        if b.elapsed >= length:
            break
        side = 0 if home else 1
        roll = rng.random()
        if roll < 0.40:
            made = b.play(TWO_MADE, home, points=2)
            if rng.random() < 0.03:  # the scorer's foot was behind the line after all
                b.update(made, THREE_MADE, 3)
                scored[side] += 1
            scored[side] += 2
        elif roll < 0.52:
            b.play(THREE_MADE, home, points=3)
            scored[side] += 3
        elif roll < 0.78:
            b.play(rng.choice([TWO_MISSED, THREE_MISSED]), home)
            b.advance(1, 3)
            if rng.random() < 0.3:
                b.play(OFFENSIVE_REBOUND, home)
                continue
            b.play(DEFENSIVE_REBOUND, not home)
        elif roll < 0.88:
            b.play(FOUL, not home)
            b.play(FT_AWARDED, home)
            for _ in range(2):
                b.advance(5, 15)
                hit = rng.random() < 0.75
                b.play(FT_MADE if hit else FT_MISSED, home, points=int(hit))
                scored[side] += hit
        elif roll < 0.97:
            b.play(TURNOVER, home)
            b.play(STEAL, not home)
        else:
            b.play(TIMEOUT, home)
            b.advance(30, 60)
            continue
        home = not home
    b.end_period()
    return scored
