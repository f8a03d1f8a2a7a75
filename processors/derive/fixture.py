"""Derive: one fixture's state and the single step that applies a frame to it.

`apply(state, frame, meta) -> Applied` drops repeats and stale frames (a sequence at or below
the last one applied on that feed), then derives every output the frame implies:

- actions frame: a fixture-score when the match state changed, and the fixture-finished when
  the summary first says finished;
- statistics frame: a period-delta against the previous snapshot; and, for a fixture without
  an actions feed (the raw record's `feeds` header) whose sport can be scored from statistics,
  a fixture-score when it changed and the fixture-finished on the first finished snapshot.
  Without the header, statistics score the fixture until its first actions frame.

Which feed scores a fixture is decided by the record, not by which topic happened to be read
first, so the outputs depend only on each feed's own frames: a replay gives the same records.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from processors.derive.fixture_finished import fixture_finished
from processors.derive.fixture_score import from_actions, from_statistics
from processors.derive.market_state import MatchFacts, observe
from processors.derive.period_delta import period_delta
from processors.frames import (
    ActionsFrame,
    Aggregate,
    AggregateKey,
    Frame,
    Meta,
    StatisticsFrame,
    TeamRef,
)
from schemas.outputs import FIXTURE_FINISHED, FIXTURE_SCORE, PERIOD_DELTA, Output
from schemas.records import FixtureFinished, FixtureScore, FixtureScoreBody, PeriodDelta, Source

# A record is its body (typed, so mypy checks every field the derivations write) merged with
# its `source` by `|`, the cheapest merge per record (a `{**body, ...}` display, which mypy
# would type, costs more); mypy types `|` as a plain dict, hence the ignores where it is used.
Derived = FixtureScore | PeriodDelta | FixtureFinished


@dataclass(frozen=True)
class FixtureState:
    """What a fixture's next frames are derived against; a table value, one per fixture."""

    actions_sequence: int = 0
    statistics_sequence: int = 0
    home: TeamRef | None = None  # as the actions feed named them
    away: TeamRef | None = None
    score_digest: str = ""  # of the last fixture-score written, to skip unchanged ones
    snapshot: dict[AggregateKey, Aggregate] = field(default_factory=dict)
    finished_at_us: int | None = None  # vendor time of the frame that finished it
    retired: bool = False  # finished long ago: only what drops late repeats is kept
    facts: MatchFacts = field(
        default_factory=MatchFacts
    )  # what the actions frames say about trading on it

    @property
    def finished(self) -> bool:
        return self.finished_at_us is not None


@dataclass(frozen=True)
class Applied:
    state: FixtureState
    outputs: list[tuple[Output[Any], Derived]]  # (output, record with `source`)
    repeat: bool = False  # dropped: a repeat or a stale frame


def apply(state: FixtureState, frame: Frame, meta: Meta) -> Applied:
    if isinstance(frame, ActionsFrame):
        if frame.sequence <= state.actions_sequence:
            return Applied(state, [], repeat=True)
        return _apply_actions(state, frame, meta)
    if frame.sequence <= state.statistics_sequence:
        return Applied(state, [], repeat=True)
    return _apply_statistics(state, frame, meta)


def _apply_actions(state: FixtureState, frame: ActionsFrame, meta: Meta) -> Applied:
    home, away = state.home, state.away
    if frame.team is not None and frame.team.home is not None:
        if frame.team.home:
            home = frame.team
        else:
            away = frame.team
    state = replace(
        state,
        actions_sequence=frame.sequence,
        home=home,
        away=away,
        facts=observe(state.facts, frame),
    )
    return _scored(state, from_actions(frame, meta.sport, home, away), frame, meta, [])


def _apply_statistics(state: FixtureState, frame: StatisticsFrame, meta: Meta) -> Applied:
    delta = period_delta(state.snapshot, state.statistics_sequence or None, frame, meta.sport)
    outputs: list[tuple[Output[Any], Derived]] = [
        (PERIOD_DELTA, delta | {"source": source(frame, meta)})  # type: ignore[list-item]
    ]
    state = replace(state, statistics_sequence=frame.sequence, snapshot=frame.aggregates)
    score = from_statistics(frame, meta.sport) if _scored_by_statistics(state, meta) else None
    if score is None:
        return Applied(state, outputs)
    return _scored(state, score, frame, meta, outputs)


def _scored_by_statistics(state: FixtureState, meta: Meta) -> bool:
    """Whether statistics score the fixture: its records say it has no actions feed, or they
    do not say (records another producer wrote) and no actions frame of it was applied yet.
    The guess depends on which topic was read first, so only the `feeds` header makes the
    outputs independent of it; a fixture scored by nothing would be worse."""
    if meta.feeds is None:
        return state.actions_sequence == 0
    return not meta.has_actions


def _scored(
    state: FixtureState,
    score: FixtureScoreBody,
    frame: Frame,
    meta: Meta,
    outputs: list[tuple[Output[Any], Derived]],
) -> Applied:
    """Add the fixture-score if it changed, and the fixture-finished if this frame finishes it."""
    origin = source(frame, meta)
    digest = hashlib.blake2b(orjson.dumps(score), digest_size=8).hexdigest()
    if digest != state.score_digest:
        outputs.append((FIXTURE_SCORE, score | {"source": origin}))  # type: ignore[arg-type]
        state = replace(state, score_digest=digest)
    if score["finished"] and not state.finished:
        finished = fixture_finished(score) | {"source": origin}
        outputs.append((FIXTURE_FINISHED, finished))  # type: ignore[arg-type]
        state = replace(state, finished_at_us=frame.timestamp_us)
    return Applied(state, outputs)


def source(frame: Frame, meta: Meta) -> Source:
    return {
        "feed": frame.feed.name,
        "sequence": frame.sequence,
        "position": meta.position,
        "timestamp": frame.timestamp_us,
    }


def retire(state: FixtureState) -> FixtureState:
    """A finished fixture's state, shrunk to what still drops its late repeats."""
    return FixtureState(
        actions_sequence=state.actions_sequence,
        statistics_sequence=state.statistics_sequence,
        score_digest=state.score_digest,
        finished_at_us=state.finished_at_us,
        retired=True,
    )


def encode_state(state: FixtureState) -> bytes:
    """The state as a table value (JSON, so an operator can read a changelog record)."""
    return orjson.dumps(
        {
            "a": state.actions_sequence,
            "s": state.statistics_sequence,
            "home": _team(state.home),
            "away": _team(state.away),
            "digest": state.score_digest,
            "snapshot": [
                [*key, agg.value, agg.action, agg.sub_action] for key, agg in state.snapshot.items()
            ],
            "finishedAt": state.finished_at_us,
            "retired": state.retired,
            "decisions": [list(decision) for decision in state.facts.open_decisions],
            "suspended": state.facts.suspended,
        }
    )


def decode_state(data: bytes) -> FixtureState:
    body = orjson.loads(data)
    snapshot = {
        (team_id, home, period, action_id, sub_id): Aggregate(value, action, sub_action)
        for team_id, home, period, action_id, sub_id, value, action, sub_action in body["snapshot"]
    }
    return FixtureState(
        actions_sequence=body["a"],
        statistics_sequence=body["s"],
        home=TeamRef(*body["home"]) if body["home"] else None,
        away=TeamRef(*body["away"]) if body["away"] else None,
        score_digest=body["digest"],
        snapshot=snapshot,
        finished_at_us=body["finishedAt"],
        retired=body["retired"],
        facts=MatchFacts(  # absent from states stored before the market state existed
            tuple((kind, action) for kind, action in body.get("decisions", ())),
            body.get("suspended"),
        ),
    )


def _team(team: TeamRef | None) -> list[object] | None:
    return None if team is None else [team.id, team.name, team.home]
