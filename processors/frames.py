"""Processor, step 1 (pure): a raw record's bytes parsed into a typed actions or statistics frame.

Tolerant of what real frames do (see PROTOCOL.md): versions 1-3 and the fields older versions
lack, `homeTeam` missing or sent as a string, `period` 0, timestamps with micro- or nanoseconds,
the clock state in any case. Anything else that cannot be understood raises `BadFrame` with a
reason that says where, and the agent dead-letters the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Final, TypeVar

import orjson

from schemas.validation import LONG_RANGE
from sportsfeed.core.errors import SportsfeedError
from sportsfeed.core.limits import FRAME_LIMIT, OVERSIZED_HEADER
from sportsfeed.core.vendor import Feed, Sport

EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
T = TypeVar("T")


class BadFrame(SportsfeedError):
    """A data frame this processor cannot understand; the message is the dead letter's reason."""


@dataclass(frozen=True, slots=True)
class TeamRef:
    id: str
    name: str | None
    home: bool | None  # None when the frame does not say


@dataclass(frozen=True, slots=True)
class PeriodSummary:
    """One row of `fixtureSummary.periods`."""

    number: int
    type: str
    label: str | None
    home_points: int
    away_points: int
    ended: bool


@dataclass(frozen=True, slots=True)
class ActionsFrame:
    fixture_id: str
    sequence: int  # fixtureSeqNum
    timestamp_us: int
    team: TeamRef | None  # the acting team, if any
    home_score: int
    away_score: int
    current_period: int
    status: str | None
    clock: str | None
    clock_running: bool | None
    finished: bool
    periods: tuple[PeriodSummary, ...]
    # what the market state reads: which action, its type and its place in an amendment story
    action_id: str | None = None
    action_type: int | None = None  # fixtureActionTypeId
    send_type: int | None = None  # sendTypeId: 1 Pending ... 6 Restored
    collection_status: str | None = None

    feed: ClassVar[Feed] = Feed.ACTIONS


AggregateKey = tuple[str, bool, int, int, int | None]  # team id, home, period, action, sub-action


@dataclass(frozen=True, slots=True)
class Aggregate:
    """One cumulative count in a statistics snapshot, with the names that go with its ids."""

    value: int
    action: str
    sub_action: str | None


@dataclass(frozen=True, slots=True)
class StatisticsFrame:
    fixture_id: str
    sequence: int  # seqNum
    timestamp_us: int
    finished: bool
    teams: tuple[TeamRef, ...]
    aggregates: dict[AggregateKey, Aggregate]  # per team, period, action and sub-action
    periods: dict[int, tuple[str, str | None]]  # period -> (type, label)

    feed: ClassVar[Feed] = Feed.STATISTICS


Frame = ActionsFrame | StatisticsFrame


@dataclass(frozen=True, slots=True)
class Meta:
    """What the raw record's headers add to its frame."""

    sport: Sport
    position: int
    feeds: frozenset[Feed] | None = frozenset(Feed)  # the fixture's feeds; None: not said

    @property
    def has_actions(self) -> bool:
        """Whether the fixture's records say it has an actions feed (not said: assumed)."""
        return self.feeds is None or Feed.ACTIONS in self.feeds


def read_meta(headers: Iterable[tuple[str, bytes]]) -> Meta:
    """The sport, position and feeds headers the producer put on a raw record.

    Without a `feeds` header (records another producer wrote) `feeds` is None. A
    stand-in for a frame over the size limit (`sportsfeed.core.limits`) is refused, naming it.
    """
    found = dict(headers)
    if OVERSIZED_HEADER in found:
        size = found[OVERSIZED_HEADER].decode(errors="replace")
        raise BadFrame(
            f"a frame of {size} bytes at position {found.get('position', b'?').decode()} was over "
            f"the {FRAME_LIMIT:,}-byte frame limit: only its stand-in was stored"
        )
    try:
        sport = Sport(found["sport"].decode())
        position = int(found["position"])
        listed = found["feeds"].decode().split(",") if "feeds" in found else None
        feeds = None if listed is None else frozenset(Feed(name) for name in listed if name)
    except KeyError as exc:
        raise BadFrame(f"raw record lacks the {exc.args[0]!r} header") from exc
    except ValueError as exc:
        raise BadFrame(f"raw record headers: {exc}") from exc
    return Meta(sport, position, feeds)


def parse(feed: Feed, data: bytes) -> Frame:
    """The frame in `data`, a raw record value of `feed`'s topic."""
    if len(data) > FRAME_LIMIT:
        raise BadFrame(f"frame of {len(data):,} bytes is over the {FRAME_LIMIT:,} accepted")
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BadFrame(f"not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadFrame(f"not a JSON object but {_kind(body)}")
    if feed is Feed.ACTIONS:
        return parse_actions(body)
    return parse_statistics(body)


def parse_actions(body: dict[str, Any]) -> ActionsFrame:
    action = _field(body, "fixtureAction", dict, "frame")
    summary = _field(body, "fixtureSummary", dict, "frame")
    finished = _optional(body, "finished", bool, "frame") or False
    return ActionsFrame(
        fixture_id=_field(action, "fixtureId", str, "fixtureAction"),
        sequence=_int(action, "fixtureSeqNum", "fixtureAction"),
        timestamp_us=timestamp_us(_field(action, "timestamp", str, "fixtureAction")),
        team=_team(action.get("team"), "fixtureAction.team"),
        home_score=_int(summary, "homeTeamScore", "fixtureSummary"),
        away_score=_int(summary, "awayTeamScore", "fixtureSummary"),
        current_period=_int(summary, "currentPeriod", "fixtureSummary"),
        status=_optional(summary, "currentStatus", str, "fixtureSummary"),
        clock=_optional(summary, "currentClockTime", str, "fixtureSummary"),
        clock_running=_clock_running(summary),
        finished=finished or bool(_optional(summary, "finished", bool, "fixtureSummary")),
        periods=tuple(_period_summary(row) for row in _list(summary, "periods", "fixtureSummary")),
        action_id=_optional(action, "actionId", str, "fixtureAction"),
        action_type=_optional(action, "fixtureActionTypeId", int, "fixtureAction"),
        send_type=_optional(action, "sendTypeId", int, "fixtureAction"),
        collection_status=_optional(summary, "collectionStatus", str, "fixtureSummary"),
    )


def parse_statistics(body: dict[str, Any]) -> StatisticsFrame:
    teams: list[TeamRef] = []
    aggregates: dict[AggregateKey, Aggregate] = {}
    periods: dict[int, tuple[str, str | None]] = {}
    for row in _field(body, "teamActionAggregates", list, "frame"):
        where = "teamActionAggregates[]"
        team = _team(_field(_object(row, where), "team", dict, where), f"{where}.team")
        if team is None or team.home is None:
            raise BadFrame(f"{where}.team: homeTeam must be true or false")
        teams.append(team)
        for period_row in _list(row, "periodActionAggregates", where):
            number = _period_aggregates(team, _object(period_row, where), aggregates)
            type_ = _optional(period_row, "type", str, "periodActionAggregates[]") or "Regular"
            periods[number] = (type_, _optional(period_row, "label", str, "period"))
    return StatisticsFrame(
        fixture_id=_field(body, "fixtureId", str, "frame"),
        sequence=_int(body, "seqNum", "frame"),
        timestamp_us=timestamp_us(_field(body, "timestamp", str, "frame")),
        finished=_optional(body, "finished", bool, "frame") or False,
        teams=tuple(teams),
        aggregates=aggregates,
        periods=periods,
    )


def _period_aggregates(
    team: TeamRef, row: dict[str, Any], into: dict[AggregateKey, Aggregate]
) -> int:
    where = "periodActionAggregates[]"
    number = _int(row, "period", where)
    home = bool(team.home)
    for aggregate in _list(row, "aggregates", where):
        entry = _object(aggregate, f"{where}.aggregates[]")
        name = _field(entry, "action", str, "aggregates[]")
        action_id = _int(entry, "actionId", "aggregates[]")
        value = _int(entry, "actionAggregate", "aggregates[]")
        into[team.id, home, number, action_id, None] = Aggregate(value, name, None)
        for sub in _list(entry, "subActionAggregates", "aggregates[]"):
            sub_entry = _object(sub, "subActionAggregates[]")
            sub_id = _int(sub_entry, "subActionId", "subActionAggregates[]")
            sub_name = _optional(sub_entry, "subAction", str, "subActionAggregates[]")
            sub_value = _int(sub_entry, "subActionAggregate", "subActionAggregates[]")
            into[team.id, home, number, action_id, sub_id] = Aggregate(sub_value, name, sub_name)
    return number


def timestamp_us(text: str) -> int:
    """An ISO-8601 UTC time with up to nanoseconds, as epoch microseconds (truncated)."""
    head, dot, tail = text.removesuffix("Z").partition(".")
    digits = tail[:6].ljust(6, "0") if dot else "000000"
    try:
        moment = dt.datetime.fromisoformat(head).replace(tzinfo=dt.UTC)
        micros = int(digits)
    except ValueError as exc:
        raise BadFrame(f"timestamp {text!r:.40} is not an ISO-8601 time") from exc
    if tail[6:] and not tail[6:].isdigit():
        raise BadFrame(f"timestamp {text!r:.40} is not an ISO-8601 time")
    return (moment - EPOCH) // dt.timedelta(microseconds=1) + micros


def _team(value: object, where: str) -> TeamRef | None:
    if value is None:
        return None
    team = _object(value, where)
    home = team.get("homeTeam")
    if isinstance(home, str) and home.lower() in {"true", "false"}:
        home = home.lower() == "true"
    elif home is not None and not isinstance(home, bool):
        raise BadFrame(f"{where}.homeTeam: expected true or false, got {_kind(home)}")
    name = _optional(team, "name", str, where)
    return TeamRef(_field(team, "id", str, where), name, home)


def _period_summary(value: object) -> PeriodSummary:
    where = "fixtureSummary.periods[]"
    row = _object(value, where)
    return PeriodSummary(
        number=_int(row, "id", where),
        type=_optional(row, "type", str, where) or "Regular",
        label=_optional(row, "label", str, where),
        home_points=_int(row, "homeTeamPeriodScore", where),
        away_points=_int(row, "awayTeamPeriodScore", where),
        ended=row.get("end") is not None,
    )


def _clock_running(summary: dict[str, Any]) -> bool | None:
    state = _optional(summary, "currentClockState", str, "fixtureSummary")
    if state is None:
        return None
    if state.lower() not in {"running", "stopped"}:
        raise BadFrame(f"fixtureSummary.currentClockState: {state!r:.20} is not running/stopped")
    return state.lower() == "running"


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadFrame(f"{where}: expected an object, got {_kind(value)}")
    return value


def _field(body: dict[str, Any], key: str, kind: type[T], where: str) -> T:
    value = body.get(key)
    if value is None:
        raise BadFrame(f"{where}.{key}: missing")
    if not isinstance(value, kind):
        raise BadFrame(f"{where}.{key}: expected {kind.__name__}, got {_kind(value)}")
    return value


def _optional(body: dict[str, Any], key: str, kind: type[T], where: str) -> T | None:
    value = body.get(key)
    if value is not None and not isinstance(value, kind):
        raise BadFrame(f"{where}.{key}: expected {kind.__name__}, got {_kind(value)}")
    return value


def _int(body: dict[str, Any], key: str, where: str) -> int:
    """An integer a fixture's state can hold (sequences are stored even when nothing is
    written; the Avro schemas' narrower `int` fields are checked as records are encoded)."""
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadFrame(f"{where}.{key}: expected an integer, got {_kind(value)}")
    if not LONG_RANGE[0] <= value <= LONG_RANGE[1]:
        raise BadFrame(f"{where}.{key}: {value} is outside the 64-bit range of Avro's long")
    return value


def _list(body: dict[str, Any], key: str, where: str) -> list[Any]:
    value = body.get(key, [])
    if not isinstance(value, list):
        raise BadFrame(f"{where}.{key}: expected a list, got {_kind(value)}")
    return value


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    text = orjson.dumps(value).decode() if not isinstance(value, bytes) else repr(value)
    return f"{type(value).__name__} {text:.30}"
