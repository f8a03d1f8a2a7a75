"""Derive (pure): a fixture's market state, OPEN or SUSPENDED with its reasons.

`step(market, event, now_us) -> (market, outputs)` is the whole rule. Events are what a worker
learns: the facts its actions frames state (`Frames`, kept with the fixture's table state by
`observe`), the producer's latest feed-status record (`Liveness`), and the passing of time
(`Tick`). A fixture is OPEN only while every one of these holds, else SUSPENDED with each
reason that does not:

- PRODUCER_SILENT: the producer's lease (`validUntil` of its last feed-status record) is running;
- FEED_NOT_LIVE: every feed of the fixture is LIVE;
- MATCH_SUSPENDED: the vendor's fixture or collection status does not say suspended;
- PENDING_DECISION: no decision is open (below);
- FINISHED: the match has not finished (final: it is then the only reason).

A worker that takes a fixture over (a start, a rebalance) writes nothing for it until it has
read a feed-status record or waited a lease (`quiet_until_us`): its predecessor's records stay
valid meanwhile. A record is written when the state or its reasons change, and for every
renewal of an OPEN state's lease: the consumer's rule (an OPEN whose validUntil has passed is
SUSPENDED) needs a fresh validUntil every second, and it is the producer's lease, so a stopped
processor cannot keep a fixture open for longer than the producer vouched for.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Final

from processors.frames import ActionsFrame
from schemas.records import MarketState, Source
from schemas.serde import Record, micros

PENDING: Final = 1  # sendTypeId of a key action not decided yet
END_MATCH: Final = 5
END_PERIOD: Final = 7
VIDEO_CHECK: Final = 51
GOAL: Final = 104  # any goal, the penalty goal (sub-type 10401) included
PENALTY_AWARDED: Final = 106
PENALTY_MISSED: Final = 131
SUSPENDED_STATUSES: Final = frozenset({"Suspended", "Abandoned", "Postponed", "Cancelled"})
SUSPENDED_COLLECTION: Final = frozenset({"CollectionSuspended", "CollectionDropped"})


class Reason(enum.Enum):
    PRODUCER_SILENT = "PRODUCER_SILENT"
    FEED_NOT_LIVE = "FEED_NOT_LIVE"
    MATCH_SUSPENDED = "MATCH_SUSPENDED"
    PENDING_DECISION = "PENDING_DECISION"
    FINISHED = "FINISHED"


OPEN: Final = "OPEN"
SUSPENDED: Final = "SUSPENDED"


@dataclass(frozen=True, slots=True)
class MatchFacts:
    """What a fixture's actions frames say about trading on it (stored with its state).

    `open_decisions` are (kind, actionId): "pending" (sent Pending, closed by any other send
    type of the same action), "video-check" (closed by the next frame of another action) and
    "penalty" (awarded, closed by a goal or a miss); a period's end closes the last two.
    """

    open_decisions: tuple[tuple[str, str], ...] = ()
    suspended: str | None = None  # the vendor's status that says so


def observe(facts: MatchFacts, frame: ActionsFrame) -> MatchFacts:
    """The facts after one actions frame."""
    still = [d for d in facts.open_decisions if not _decides(frame, *d)]
    action = frame.action_id
    if action is not None:
        if frame.send_type == PENDING:
            still.append(("pending", action))
        if frame.action_type == VIDEO_CHECK:
            still.append(("video-check", action))
        if frame.action_type == PENALTY_AWARDED:
            still.append(("penalty", action))
    suspended = None
    if frame.status in SUSPENDED_STATUSES:
        suspended = frame.status
    elif frame.collection_status in SUSPENDED_COLLECTION:
        suspended = frame.collection_status
    return MatchFacts(tuple(dict.fromkeys(still)), suspended)


def _decides(frame: ActionsFrame, kind: str, action_id: str) -> bool:
    if kind == "pending":
        return frame.action_id == action_id and frame.send_type != PENDING
    if frame.action_type in {END_PERIOD, END_MATCH}:
        return True
    if kind == "video-check":
        return frame.action_id != action_id
    return frame.action_type in {GOAL, PENALTY_MISSED}  # a penalty awarded: taken


@dataclass(frozen=True, slots=True)
class Frames:
    """The fixture as its frames left it, after a frame was applied."""

    facts: MatchFacts
    finished: bool
    source: Source


@dataclass(frozen=True, slots=True)
class Liveness:
    """The producer's latest feed-status record of the fixture."""

    producer_id: str | None
    emitted_at_us: int
    valid_until_us: int | None  # None: a producer without the lease, never alive
    states: tuple[str, ...]  # each feed's state

    @classmethod
    def of(cls, record: Record) -> Liveness:
        """From a FeedStatus record as Avro readers give it (times as datetimes)."""
        valid_until = record.get("validUntil")
        return cls(
            producer_id=record.get("producerId"),
            emitted_at_us=micros(record["emittedAt"]),
            valid_until_us=None if valid_until is None else micros(valid_until),
            states=tuple(feed["state"] for feed in record["feeds"]),
        )


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed (the processor's timer): a lease may have run out."""


Event = Frames | Liveness | Tick


@dataclass(frozen=True, slots=True)
class Market:
    """What a worker holds for one fixture: the evidence and the state last written."""

    fixture_id: str
    facts: MatchFacts = field(default_factory=MatchFacts)
    finished: bool = False
    source: Source | None = None
    liveness: Liveness | None = None
    state: str | None = None  # None: nothing written yet
    reasons: tuple[Reason, ...] = ()
    valid_until_us: int = 0
    quiet_until_us: int = 0  # without a feed-status record, nothing is written before this


def step(market: Market, event: Event, now_us: int) -> tuple[Market, list[MarketState]]:
    """The fixture after `event` at `now_us`, and the market-state record it needs, if any."""
    if isinstance(event, Frames):
        market = replace(market, facts=event.facts, finished=event.finished, source=event.source)
    elif isinstance(event, Liveness):
        market = replace(market, liveness=event)
    if market.liveness is None and now_us < market.quiet_until_us:
        return market, []  # a worker that just took the fixture over has not heard yet
    found = reasons(market, now_us)
    state = SUSPENDED if found else OPEN
    lease = market.liveness.valid_until_us if market.liveness else None
    valid_until = lease or now_us
    renewed = state == OPEN and valid_until != market.valid_until_us
    if (state, found) == (market.state, market.reasons) and not renewed:
        return market, []
    market = replace(market, state=state, reasons=found, valid_until_us=valid_until)
    return market, [record(market, state, now_us)]


def reasons(market: Market, now_us: int) -> tuple[Reason, ...]:
    """Every reason the fixture cannot be OPEN at `now_us`, in the schema's order."""
    live = market.liveness
    if market.finished or (live is not None and live.states and _all(live.states, "FINISHED")):
        return (Reason.FINISHED,)
    found = []
    if live is None or live.valid_until_us is None or now_us >= live.valid_until_us:
        found.append(Reason.PRODUCER_SILENT)
    if live is None or not live.states or not _all(live.states, "LIVE"):
        found.append(Reason.FEED_NOT_LIVE)
    if market.facts.suspended is not None:
        found.append(Reason.MATCH_SUSPENDED)
    if market.facts.open_decisions:
        found.append(Reason.PENDING_DECISION)
    return tuple(found)


def _all(states: tuple[str, ...], wanted: str) -> bool:
    return all(state == wanted for state in states)


def record(market: Market, state: str, now_us: int) -> MarketState:
    """The MarketState record of the fixture's current state (`market.state`, as written)."""
    live = market.liveness
    return {
        "fixtureId": market.fixture_id,
        "state": state,
        "reasons": [reason.value for reason in market.reasons],
        "validUntil": market.valid_until_us,
        "decidedAt": now_us,
        "producerId": live.producer_id if live else None,
        "livenessAt": live.emitted_at_us if live else None,
        "source": market.source,
    }
