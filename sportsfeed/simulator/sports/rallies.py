"""Simulator: what volleyball and table tennis share: rallies in races to N, won by 2 clear."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sportsfeed.simulator.model import ActionType, Truth
from sportsfeed.simulator.sports.builder import MatchBuilder


@dataclass(frozen=True)
class RallyRules:
    point_started: ActionType
    point_scored: ActionType
    period_label: Callable[[int], str]  # 1 -> "1st Set"
    target: Callable[[int, int], int]  # (period, periods to win) -> points to win it
    rally_seconds: tuple[float, float]
    server_after: Callable[[bool, bool, int, list[int]], bool]  # who serves next
    on_point: Callable[[MatchBuilder, list[int], int, list[int], int, int], None] | None = None


LEAD: Final = 2


def play(b: MatchBuilder, rules: RallyRules, periods_to_win: int) -> Truth:
    rng = b.rng
    won = [0, 0]
    period_points: list[tuple[int, int]] = []
    server = rng.random() < 0.5
    b.start_match()
    number = 0
    while max(won) < periods_to_win:
        number += 1
        target = rules.target(number, periods_to_win)
        points = [0, 0]
        b.start_period(number, "Regular", rules.period_label(number), 20 * 60)
        while not (max(points) >= target and abs(points[0] - points[1]) >= LEAD):
            b.play(rules.point_started, server)
            b.advance(*rules.rally_seconds)
            winner = rng.random() < 0.5 + (0.04 if server else -0.04)
            b.play(rules.point_scored, winner, points=1)
            points[0 if winner else 1] += 1
            server = rules.server_after(server, winner, sum(points), points)
            if rules.on_point is not None:
                rules.on_point(b, points, target, won, periods_to_win, number)
            b.advance(5, 15)
        won[0 if points[0] > points[1] else 1] += 1
        period_points.append((points[0], points[1]))
        b.end_period()
        b.advance(60, 180)
    b.end_match()
    return Truth(won[0], won[1], tuple(period_points), won[0] > won[1])
