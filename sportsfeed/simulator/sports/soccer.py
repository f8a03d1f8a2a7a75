"""Simulator: a soccer match by the rules (halves, stoppage, extra time, shootout, VAR)."""

from __future__ import annotations

from typing import Final

from sportsfeed.simulator.model import ActionType, Truth
from sportsfeed.simulator.sports.builder import Fate, MatchBuilder

GOAL: Final = ActionType(104, "Goal")
PENALTY_GOAL: Final = ActionType(104, "Goal", 10401, "Penalty Goal")
SHOOTOUT_GOAL: Final = ActionType(104, "Goal", 10402, "Shootout Goal")
SHOOTOUT_MISS: Final = ActionType(131, "Penalty Missed")
PENALTY_AWARDED: Final = ActionType(106, "Penalty Awarded")
YELLOW: Final = ActionType(107, "Yellow Card")
RED: Final = ActionType(115, "Red Card")
CORNER_AWARDED: Final = ActionType(127, "Corner Awarded")
CORNER_TAKEN: Final = ActionType(108, "Corner Taken")
GOAL_KICK: Final = ActionType(109, "Goal Kick")
THROW_IN: Final = ActionType(113, "Throw In Taken")
FREE_KICK: Final = ActionType(118, "Free Kick")
SHOTS: Final = (
    ActionType(111, "Shot", 11102, "On Target"),
    ActionType(111, "Shot", 11103, "Blocked"),
    ActionType(111, "Shot", 11105, "Off Target"),
)
SUB_IN: Final = ActionType(13, "Substitution In")
SUB_OUT: Final = ActionType(14, "Substitution Out")
TEAMS: Final = [
    "Northbridge FC",
    "Harbour United",
    "Castleton Rovers",
    "Ashford Athletic",
    "Redmoor City",
    "Westvale Town",
    "Kingsport Wanderers",
    "Eastholm Albion",
]

HALF: Final = 45 * 60
EXTRA_HALF: Final = 15 * 60


def play(b: MatchBuilder, knockout: bool, extra_time: bool) -> Truth:
    goals: dict[int, list[int]] = {}
    b.start_match()
    for half in (1, 2):
        goals[half] = _half(b, half, f"{_nth(half)} half", "Regular", HALF, (half - 1) * HALF)
    periods = 2
    if knockout and extra_time and _tied(goals):
        for half in (3, 4):
            base = 2 * HALF + (half - 3) * EXTRA_HALF
            goals[half] = _half(
                b, half, f"{_nth(half - 2)} extra time", "ExtraTime", EXTRA_HALF, base
            )
        periods = 4
    home, away = (sum(g[side] for g in goals.values()) for side in (0, 1))
    winner = None if home == away else home > away
    if knockout and home == away:
        goals[periods + 1] = shootout = _shootout(b, periods + 1)
        winner = shootout[0] > shootout[1]
    b.end_match()
    return Truth(home, away, tuple((g[0], g[1]) for _, g in sorted(goals.items())), winner)


def _nth(number: int) -> str:
    return {1: "1st", 2: "2nd"}[number]


def _tied(goals: dict[int, list[int]]) -> bool:
    return sum(g[0] for g in goals.values()) == sum(g[1] for g in goals.values())


def _half(b: MatchBuilder, number: int, label: str, kind: str, length: int, base: int) -> list[int]:
    rng = b.rng
    scored = [0, 0]
    b.start_period(number, kind, label, length, clock_base=base)
    stoppage = rng.randint(1, 6) * 60
    while b.elapsed < length + stoppage:
        b.advance(20, 80)
        home = rng.random() < 0.5
        roll = rng.random()
        if roll < 0.028:
            fate = rng.choices(list(Fate), weights=[80, 8, 8, 4])[0]
            penalty = rng.random() < 0.15
            if penalty:
                b.play(PENALTY_AWARDED, home)
                b.advance(30, 90)
            b.key_play(PENALTY_GOAL if penalty else GOAL, home, 1, fate)
            scored[0 if home else 1] += fate.stands
        elif roll < 0.06:
            card = b.play(YELLOW, home)
            if rng.random() < 0.1:
                b.update(card, RED, 0)
        elif roll < 0.16:
            b.play(rng.choice(SHOTS), home)
        elif roll < 0.24:
            b.play(CORNER_AWARDED, home)
            b.advance(15, 40)
            b.play(CORNER_TAKEN, home)
        elif roll < 0.36:
            b.play(FREE_KICK, home)
        elif roll < 0.46:
            b.play(GOAL_KICK, home)
        elif roll < 0.50 and number >= 2 and b.elapsed > 10 * 60:
            b.play(SUB_OUT, home)
            b.play(SUB_IN, home)
        else:
            b.play(THROW_IN, home)
    b.end_period()
    return scored


def _shootout(b: MatchBuilder, number: int) -> list[int]:
    rng = b.rng
    scored, taken = [0, 0], [0, 0]
    b.advance(120, 300)
    b.start_period(number, "Shootout", "Penalty shootout", 600)
    while True:
        for side in (0, 1):
            b.advance(30, 70)
            hit = rng.random() < 0.75
            b.play(SHOOTOUT_GOAL if hit else SHOOTOUT_MISS, side == 0, points=int(hit))
            scored[side] += hit
            taken[side] += 1
            if _shootout_decided(scored, taken):
                b.end_period()
                return scored


def _shootout_decided(scored: list[int], taken: list[int]) -> bool:
    if max(taken) <= 5:
        left = [5 - taken[0], 5 - taken[1]]
        return scored[0] > scored[1] + left[1] or scored[1] > scored[0] + left[0]
    return taken[0] == taken[1] and scored[0] != scored[1]
