"""Simulator, step 2: a generated match rendered as the vendor's actions and statistics frames.

Pure functions: `render(match, quirks)` folds the match's actions into the authoritative
`fixtureSummary` after each one, and into a cumulative statistics snapshot after each change
of the aggregates. Same match, same quirks: the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from dataclasses import dataclass, field
from random import Random

import orjson

from sportsfeed.simulator.model import HOME, Action, Match, PeriodInfo, SendType


@dataclass(frozen=True)
class Quirks:
    """The variations real frames show, chosen per fixture (see PROTOCOL.md)."""

    version: int = 3  # payload schema version 1-3; older versions lack some fields
    home_team_as_string: bool = False  # statistics `homeTeam` as "true"/"false"
    omit_home_team: bool = False  # actions `team` without `homeTeam`
    clock_state_case: str = "lower"  # "lower", "title" or "upper"
    nanosecond_timestamps: bool = False  # statistics timestamps with 9 fractional digits

    @classmethod
    def draw(cls, rng: Random) -> Quirks:
        return cls(
            version=rng.choice([1, 2, 3, 3, 3]),
            home_team_as_string=rng.random() < 0.2,
            omit_home_team=rng.random() < 0.1,
            clock_state_case=rng.choice(["lower", "lower", "title", "upper"]),
            nanosecond_timestamps=rng.random() < 0.5,
        )


@dataclass(frozen=True, slots=True)
class TimedFrame:
    """One data frame of a stream: when it happens (match seconds) and its exact text."""

    at: float
    text: str


@dataclass
class _PeriodState:
    info: PeriodInfo
    start: str
    end: str | None = None


@dataclass
class _Fold:
    """The match state after the actions seen so far, kept up to date action by action."""

    standing: dict[str, Action] = field(default_factory=dict)  # actionId -> current version
    periods: dict[int, _PeriodState] = field(default_factory=dict)
    points: Counter[tuple[int, bool]] = field(default_factory=Counter)  # (period, home)
    counts: Counter[tuple[bool, int, int, int | None]] = field(default_factory=Counter)
    counts_changed: bool = False
    possession: bool | None = None
    finished: bool = False

    def apply(self, action: Action, timestamp: str) -> None:
        self.counts_changed = False
        if action.send_type in {SendType.CONFIRMED, SendType.UPDATED, SendType.RESTORED}:
            self._count(self.standing.get(action.action_id), -1)
            self.standing[action.action_id] = action
            self._count(action, +1)
        elif action.send_type in {SendType.CANCELLED, SendType.DELETED}:
            self._count(self.standing.pop(action.action_id, None), -1)
        if action.period_starts and action.period is not None:
            self.periods[action.period.number] = _PeriodState(action.period, timestamp)
        if action.period_ends and action.period is not None:
            self.periods[action.period.number].end = timestamp
        if action.home is not None:
            self.possession = action.home
        self.finished = self.finished or action.match_ends

    def _count(self, action: Action | None, sign: int) -> None:
        if action is None or action.home is None or action.period is None:
            return
        number = action.period.number
        self.points[number, action.home] += sign * action.points
        if action.kind.counted:
            self.counts[action.home, number, action.kind.id, action.kind.sub_id] += sign
            self.counts_changed = True

    def period_points(self) -> dict[int, list[int]]:
        return {n: [self.points[n, True], self.points[n, False]] for n in self.periods}

    def aggregates(self) -> dict[tuple[bool, int, int, int | None], int]:
        """(home, period, action id, sub-action id) -> count of standing counted actions."""
        return {key: count for key, count in self.counts.items() if count}


def timestamp(match: Match, at: float, nanoseconds: bool = False) -> str:
    start = dt.datetime.fromisoformat(match.start_iso)
    moment = start + dt.timedelta(seconds=round(at, 6))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text + ("300Z" if nanoseconds else "Z")


def render(match: Match, quirks: Quirks) -> tuple[list[TimedFrame], list[TimedFrame]]:
    """The fixture's actions stream and statistics stream, frame by frame."""
    rng = Random(f"frames:{match.fixture_id}")
    fold = _Fold()
    actions: list[TimedFrame] = []
    statistics: list[TimedFrame] = []
    for seq, action in enumerate(match.actions, 1):
        stamp = timestamp(match, action.at)
        fold.apply(action, stamp)
        frame = _actions_frame(match, quirks, rng, fold, action, seq, stamp)
        actions.append(TimedFrame(action.at, orjson.dumps(frame).decode()))
        if seq == 1 or fold.counts_changed or action.match_ends:
            snapshot = _statistics_frame(match, quirks, rng, fold, action, len(statistics) + 1)
            statistics.append(TimedFrame(action.at, orjson.dumps(snapshot).decode()))
    return actions, statistics


def _actions_frame(
    match: Match, quirks: Quirks, rng: Random, fold: _Fold, action: Action, seq: int, stamp: str
) -> dict[str, object]:
    body: dict[str, object] = {
        "fixtureId": match.fixture_id,
        "actionId": action.action_id,
        "fixtureSeqNum": seq,
        "timelineSequence": round(action.timeline, 6),
        "period": action.period.number if action.period else 0,
        "clockTime": action.clock,
        "timestamp": stamp,
        "sendType": action.send_type.name.title(),
        "sendTypeId": int(action.send_type),
        "fixtureActionType": action.kind.name,
        "fixtureActionTypeId": action.kind.id,
        "relatedFixtureActionIds": [],
    }
    if action.kind.sub_id is not None:
        body["fixtureActionSubType"] = action.kind.sub_name
        body["fixtureActionSubTypeId"] = action.kind.sub_id
    if action.home is not None:
        team = match.home if action.home else match.away
        body["team"] = {"id": team.id, "name": team.name}
        if not quirks.omit_home_team:
            body["team"]["homeTeam"] = action.home  # type: ignore[index]
    frame: dict[str, object] = {
        "traceId": f"{rng.getrandbits(128):032x}",
        "version": quirks.version,
        "fixtureAction": body,
        "fixtureSummary": _summary(match, quirks, fold, action),
    }
    if quirks.version >= 2:
        frame["finished"] = fold.finished
    return frame


def match_score(match: Match, fold: _Fold) -> tuple[int, int]:
    """The score as `fixtureSummary` shows it: periods won, or points outside a shootout."""
    points = fold.period_points()
    if match.sport.scores_by_periods_won:
        ended = [points[n] for n, p in fold.periods.items() if p.end is not None]
        return sum(h > a for h, a in ended), sum(a > h for h, a in ended)
    counted = [points[n] for n, p in fold.periods.items() if p.info.type != "Shootout"]
    return sum(h for h, _ in counted), sum(a for _, a in counted)


def _summary(match: Match, quirks: Quirks, fold: _Fold, action: Action) -> dict[str, object]:
    home, away = match_score(match, fold)
    status = "Completed" if fold.finished else "Live"
    running = action.clock_running and not fold.finished
    summary: dict[str, object] = {
        "homeTeamScore": home,
        "awayTeamScore": away,
        "isTied": home == away,
        "finished": fold.finished,
        "currentPeriod": action.period.number if action.period else 0,
        "currentStatus": status,
        "currentClockTime": action.clock,
        "isHomeTeamInPossesion": fold.possession is HOME if fold.possession is not None else None,
        "periods": _periods(match, fold),
    }
    if quirks.version >= 2:
        summary["collectionStatus"] = "CollectionCompleted" if fold.finished else "CollectingLive"
    if quirks.version >= 3:
        state = "running" if running else "stopped"
        summary["currentClockState"] = {"lower": state, "title": state.title()}.get(
            quirks.clock_state_case, state.upper()
        )
    return summary


def _periods(match: Match, fold: _Fold) -> list[dict[str, object]]:
    points = fold.period_points()
    rows: list[dict[str, object]] = []
    total = [0, 0]
    for number in sorted(fold.periods):
        period = fold.periods[number]
        home, away = points[number]
        if match.sport.scores_by_periods_won:
            if period.end is not None:
                total[0 if home > away else 1] += home != away
        elif period.info.type != "Shootout":
            total = [total[0] + home, total[1] + away]
        rows.append(
            {
                "id": number,
                "type": period.info.type,
                "label": period.info.label,
                "start": period.start,
                "end": period.end,
                "homeTeamScore": total[0],
                "awayTeamScore": total[1],
                "homeTeamPeriodScore": home,
                "awayTeamPeriodScore": away,
            }
        )
    return rows


@functools.cache
def _action_names(match: Match) -> tuple[dict[int, str], dict[int | None, str | None]]:
    names = {a.kind.id: a.kind.name for a in match.actions}
    sub_names = {a.kind.sub_id: a.kind.sub_name for a in match.actions}
    return names, sub_names


def _statistics_frame(
    match: Match, quirks: Quirks, rng: Random, fold: _Fold, action: Action, seq: int
) -> dict[str, object]:
    counts = fold.aggregates()
    teams = []
    for home in (True, False):
        team = match.home if home else match.away
        mine = {key[1:]: count for key, count in counts.items() if key[0] == home}
        game: Counter[tuple[int, int | None]] = Counter()
        for (_, action_id, sub_id), count in mine.items():
            game[action_id, sub_id] += count
        periods = [
            {
                "type": state.info.type,
                "label": state.info.label,
                "period": number,
                "aggregates": _aggregate_rows(
                    match, Counter({(a, s): c for (p, a, s), c in mine.items() if p == number})
                ),
            }
            for number, state in fold.periods.items()
        ]
        rng.shuffle(periods)  # the vendor sends periods in any order
        flag: object = str(home).lower() if quirks.home_team_as_string else home
        teams.append(
            {
                "team": {"id": team.id, "name": team.name, "homeTeam": flag},
                "gameActionAggregates": _aggregate_rows(match, game),
                "periodActionAggregates": periods,
                "playerActionAggregates": [],
            }
        )
    return {
        "seqNum": seq,
        "traceId": f"{rng.getrandbits(128):032x}",
        "version": quirks.version,
        "finished": fold.finished,
        "fixtureId": match.fixture_id,
        "timestamp": timestamp(match, action.at, quirks.nanosecond_timestamps),
        "teamActionAggregates": teams,
        "advancedSportStatistics": [],
    }


def _aggregate_rows(match: Match, counts: Counter[tuple[int, int | None]]) -> list[object]:
    names, sub_names = _action_names(match)
    by_action: dict[int, dict[int | None, int]] = {}
    for (action_id, sub_id), count in counts.items():
        subs = by_action.setdefault(action_id, {})
        subs[sub_id] = subs.get(sub_id, 0) + count
    rows: list[object] = []
    for action_id in sorted(by_action):
        subs = by_action[action_id]
        rows.append(
            {
                "action": names[action_id],
                "actionId": action_id,
                "actionAggregate": sum(subs.values()),
                "subActionAggregates": [
                    {"subAction": sub_names[s], "subActionId": s, "subActionAggregate": subs[s]}
                    for s in sorted(s for s in subs if s is not None)
                ],
            }
        )
    return rows
