"""Simulator, step 1: what a generated match is, before it becomes vendor frames.

A `Match` is the fixture's identity plus an ordered list of `Action`s in match time, and the
`Truth` the generator decided by the sport's rules (final score, per-period scores, winner).
Tests check the rendered frames and everything downstream against that truth.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Final

from sportsfeed.core.vendor import Sport


class SendType(enum.IntEnum):
    """The vendor's `sendTypeId` values."""

    PENDING = 1
    UPDATED = 2
    CANCELLED = 3
    DELETED = 4
    CONFIRMED = 5
    RESTORED = 6


HOME: Final = True
AWAY: Final = False


@dataclass(frozen=True, slots=True)
class ActionType:
    id: int
    name: str
    sub_id: int | None = None
    sub_name: str | None = None
    counted: bool = True  # appears in the statistics aggregates (control actions do not)


@dataclass(frozen=True, slots=True)
class PeriodInfo:
    number: int
    type: str  # "Regular", "ExtraTime", "Overtime", "Shootout"
    label: str  # "1st half", "2nd quarter", "3rd Set", ...


@dataclass(frozen=True, slots=True)
class Action:
    """One actions frame's worth of news, in match time."""

    action_id: str
    send_type: SendType
    kind: ActionType
    period: PeriodInfo | None
    at: float  # seconds since the match's scheduled start; orders and paces frames
    clock: str  # "MM:SS" as the sport's clock shows it
    clock_running: bool
    home: bool | None = None  # the acting team; None for team-less actions
    points: int = 0  # what the action adds to its team's period score while it stands
    timeline: float = 0.0
    period_starts: bool = False
    period_ends: bool = False
    match_ends: bool = False


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name: str


@dataclass(frozen=True)
class Truth:
    """What the generator decided: the independent source tests compare against."""

    home_score: int
    away_score: int
    period_scores: tuple[tuple[int, int], ...]  # per period, in period order
    winner: bool | None  # HOME, AWAY, or None for a draw

    def as_dict(self) -> dict[str, object]:
        winner = {HOME: "home", AWAY: "away", None: "draw"}[self.winner]
        return {
            "homeScore": self.home_score,
            "awayScore": self.away_score,
            "periodScores": [list(pair) for pair in self.period_scores],
            "winner": winner,
        }


@dataclass(eq=False)  # identity: a match is one generated object, cached by identity
class Match:
    fixture_id: str
    sport: Sport
    home: Team
    away: Team
    start_iso: str  # scheduled start, UTC, "YYYY-MM-DDTHH:MM:SS"
    actions: list[Action] = field(default_factory=list)
    truth: Truth | None = None
