"""Simulator: the shared vocabulary of the sport generators (periods, clock, plays, amendments).

A sport module decides *what* happens by its rules; `MatchBuilder` turns each decision into
`Action`s with match time, clock and the amendment sequences the vendor sends (Pending then
Confirmed, Cancelled, Deleted after a video check, Restored, Updated).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import replace
from random import Random
from typing import Final

from sportsfeed.simulator.model import Action, ActionType, Match, PeriodInfo, SendType, Team

START_MATCH: Final = ActionType(4, "Start Match", counted=False)
END_MATCH: Final = ActionType(5, "End Match", counted=False)
START_PERIOD: Final = ActionType(6, "Start Period", counted=False)
END_PERIOD: Final = ActionType(7, "End Period", counted=False)
VIDEO_CHECK: Final = ActionType(51, "Video Check", counted=False)
TEAM_COLOURS: Final = ActionType(2, "Team Colours", counted=False)


class Fate(enum.Enum):
    """How a key action's story ends, from the vendor's point of view."""

    CONFIRMED = "confirmed"  # Pending, Confirmed: stands
    CANCELLED = "cancelled"  # Pending, Cancelled: never stood
    DELETED = "deleted"  # Pending, Confirmed, Video Check, Deleted: stood, then removed
    RESTORED = "restored"  # ..., Deleted, Restored: stands again

    @property
    def stands(self) -> bool:
        return self in {Fate.CONFIRMED, Fate.RESTORED}


def ordinal(number: int) -> str:
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number if number < 20 else number % 10, "th")
    return f"{number}{suffix}"


def new_uuid(rng: Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def team(rng: Random, names: list[str]) -> Team:
    return Team(new_uuid(rng), rng.choice(names))


class MatchBuilder:
    """Appends actions to a match, keeping match time, period and clock."""

    def __init__(self, match: Match, rng: Random, *, clock_down_from: float | None = None) -> None:
        self.match = match
        self.rng = rng
        self.at = 0.0
        self.period: PeriodInfo | None = None
        self._period_started_at = 0.0
        self._period_length = 1.0
        self._clock_base = 0.0  # the clock's reading at the period's start (counting up)
        self._clock_down_from = clock_down_from  # counting down from this (basketball)

    # -- time and clock ---------------------------------------------------------------------

    def advance(self, low: float, high: float) -> None:
        self.at += self.rng.uniform(low, high)

    @property
    def elapsed(self) -> float:
        """Seconds since the current period started."""
        return self.at - self._period_started_at

    def clock(self) -> str:
        if self._clock_down_from is not None:
            seconds = max(0.0, self._clock_down_from - self.elapsed)
        else:
            seconds = self._clock_base + self.elapsed
        whole = int(seconds)
        return f"{whole // 60:02d}:{whole % 60:02d}"

    def _timeline(self) -> float:
        number = self.period.number if self.period else 0
        return number + min(self.elapsed / self._period_length, 0.999)

    # -- structure --------------------------------------------------------------------------

    def start_match(self) -> None:
        self._emit(START_MATCH, clock_running=False)
        self._emit(TEAM_COLOURS, clock_running=False)

    def start_period(
        self, number: int, kind: str, label: str, length: float, clock_base: float = 0.0
    ) -> None:
        self.period = PeriodInfo(number, kind, label)
        self._period_started_at, self._period_length = self.at, max(length, 1.0)
        self._clock_base = clock_base
        if self._clock_down_from is not None:
            self._clock_down_from = length
        self._emit(START_PERIOD, period_starts=True)

    def end_period(self) -> None:
        self._emit(END_PERIOD, clock_running=False, period_ends=True)

    def end_match(self) -> None:
        self.advance(5, 30)
        self._emit(END_MATCH, clock_running=False, match_ends=True)

    # -- plays ------------------------------------------------------------------------------

    def play(self, kind: ActionType, home: bool | None, points: int = 0) -> Action:
        """An action that is simply confirmed (most actions)."""
        return self._emit(kind, home=home, points=points)

    def key_play(self, kind: ActionType, home: bool, points: int, fate: Fate) -> None:
        """A key action (goal, card, penalty) with the vendor's amendment story for `fate`."""
        pending = self._emit(kind, home=home, points=points, send_type=SendType.PENDING)
        self.advance(5, 40)
        if fate is Fate.CANCELLED:
            self._again(pending, SendType.CANCELLED)
            return
        confirmed = self._again(pending, SendType.CONFIRMED)
        if fate in {Fate.DELETED, Fate.RESTORED}:
            self.advance(10, 60)
            self._emit(VIDEO_CHECK)
            self.advance(20, 90)
            self._again(confirmed, SendType.DELETED)
        if fate is Fate.RESTORED:
            self.advance(20, 90)
            self._again(confirmed, SendType.RESTORED)

    def update(self, action: Action, kind: ActionType, points: int) -> None:
        """The vendor corrects a confirmed action (e.g. yellow to red, 2PT to 3PT)."""
        self.advance(10, 40)
        self._again(replace(action, kind=kind, points=points), SendType.UPDATED)

    def _again(self, action: Action, send_type: SendType) -> Action:
        """The same action (same actionId) re-sent now with another send type."""
        return self._append(replace(action, send_type=send_type, at=self.at, clock=self.clock()))

    def _emit(
        self,
        kind: ActionType,
        *,
        home: bool | None = None,
        points: int = 0,
        send_type: SendType = SendType.CONFIRMED,
        clock_running: bool = True,
        period_starts: bool = False,
        period_ends: bool = False,
        match_ends: bool = False,
    ) -> Action:
        action = Action(
            action_id=new_uuid(self.rng),
            send_type=send_type,
            kind=kind,
            period=self.period,
            at=self.at,
            clock=self.clock(),
            clock_running=clock_running,
            home=home,
            points=points,
            timeline=self._timeline(),
            period_starts=period_starts,
            period_ends=period_ends,
            match_ends=match_ends,
        )
        return self._append(action)

    def _append(self, action: Action) -> Action:
        self.match.actions.append(action)
        return action
