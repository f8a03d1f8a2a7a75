"""The Avro topics' records as written, one TypedDict per `.avsc` record type (pure).

Each mirrors its schema field for field (tests/schemas/test_records.py proves it): a field the
schema makes nullable is `X | None`, a field with a default may be left out (`NotRequired`).
Enums are their symbols' names and timestamps epoch microseconds, as the encoder takes them.
A derived record is derived without its `source` first (`...Body`, whose fields come first).
A TypedDict is a plain dict at run time, so typing the records costs the hot path nothing.
"""

from typing import NotRequired, TypedDict


class Team(TypedDict):
    id: NotRequired[str | None]
    name: NotRequired[str | None]


class PeriodScore(TypedDict):
    period: int
    type: str
    label: NotRequired[str | None]
    homePoints: int
    awayPoints: int
    ended: bool


class Source(TypedDict):
    feed: str
    sequence: int
    position: int
    timestamp: int


class FeedState(TypedDict):
    feed: str
    state: str
    since: int
    reason: NotRequired[str | None]
    position: int
    rawOffset: NotRequired[int | None]
    lastHeartbeatAt: NotRequired[int | None]
    lastDataAt: NotRequired[int | None]


class FeedStatus(TypedDict):
    fixtureId: str
    sport: str
    channel: str
    changed: str
    feeds: list[FeedState]
    emittedAt: int
    producerId: NotRequired[str | None]
    validUntil: NotRequired[int | None]


class Scoreline(TypedDict):
    """The fields FixtureScore and FixtureFinished begin with."""

    fixtureId: str
    sport: str
    homeTeam: Team
    awayTeam: Team
    homeScore: int
    awayScore: int
    periods: list[PeriodScore]


class FixtureScoreBody(Scoreline):
    currentPeriod: int
    status: NotRequired[str | None]
    clock: NotRequired[str | None]
    clockRunning: NotRequired[bool | None]
    finished: bool


class FixtureScore(FixtureScoreBody):
    source: Source


class AggregateChange(TypedDict):
    teamId: str
    home: bool
    period: int
    action: str
    actionId: int
    subAction: NotRequired[str | None]
    subActionId: NotRequired[int | None]
    previous: int
    current: int
    delta: int


class PeriodDeltaBody(TypedDict):
    fixtureId: str
    sport: str
    changes: list[AggregateChange]
    previousSequence: NotRequired[int | None]


class PeriodDelta(PeriodDeltaBody):
    source: Source


class FixtureFinishedBody(Scoreline):
    winner: str


class FixtureFinished(FixtureFinishedBody):
    source: Source


class MarketState(TypedDict):
    fixtureId: str
    state: str
    reasons: list[str]
    validUntil: int
    decidedAt: int
    producerId: NotRequired[str | None]
    livenessAt: NotRequired[int | None]
    source: NotRequired[Source | None]
