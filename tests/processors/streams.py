"""Helpers: a simulated fixture's streams run through parsing and `apply`, as an agent would."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from processors.derive.fixture import Applied, FixtureState, apply
from processors.frames import BadFrame, Meta, parse
from sportsfeed.core.vendor import Feed
from sportsfeed.simulator.catalogue import SimFixture
from sportsfeed.simulator.model import SendType

Raw = tuple[Feed, int, str]  # feed, position, frame text
STATISTICS_ONLY = frozenset({Feed.STATISTICS})


@dataclass
class Run:
    state: FixtureState = field(default_factory=FixtureState)
    outputs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    dead_letters: list[str] = field(default_factory=list)
    repeats: int = 0

    def of(self, name: str) -> list[dict[str, Any]]:
        return [record for kind, record in self.outputs if kind == name]


def raw_frames(fixture: SimFixture, feed: Feed) -> list[Raw]:
    return [(feed, pos, frame.text) for pos, frame in enumerate(fixture.stream(feed).frames, 1)]


def interleaved(fixture: SimFixture, feeds: Iterable[Feed] = tuple(Feed)) -> list[Raw]:
    """Both streams merged by match time, as a live run would see them."""
    merged = [
        (frame.at, feed is Feed.STATISTICS, (feed, pos, frame.text))
        for feed in feeds
        for pos, frame in enumerate(fixture.stream(feed).frames, 1)
    ]
    return [raw for *_, raw in sorted(merged, key=lambda item: (item[0], item[1], item[2][1]))]


def run(
    fixture: SimFixture,
    raws: Iterable[Raw],
    into: Run | None = None,
    feeds: frozenset[Feed] | None = frozenset(Feed),  # None: the records do not say
) -> Run:
    """Parse and apply `raws` in order, for a fixture subscribed to `feeds`."""
    result = into or Run()
    for feed, position, text in raws:
        try:
            frame = parse(feed, text.encode())
        except BadFrame as exc:
            result.dead_letters.append(str(exc))
            continue
        applied: Applied = apply(result.state, frame, Meta(fixture.sport, position, feeds))
        result.state = applied.state
        result.outputs.extend(applied.outputs)
        result.repeats += applied.repeat
    return result


def penalty_window(fixture: SimFixture) -> tuple[int, int]:
    """Sequence numbers of a generated soccer match's first penalty award and of its kick's
    decision (the kick is sent Pending, then decided): the simulator's truth."""
    actions = fixture.match.actions  # type: ignore[union-attr]
    awarded = next(i for i, a in enumerate(actions) if a.kind.id == 106)
    kick = actions[awarded + 1]
    assert kick.send_type is SendType.PENDING
    decided = next(
        i
        for i, a in enumerate(actions)
        if a.action_id == kick.action_id and a.send_type is not SendType.PENDING
    )
    return awarded + 1, decided + 1  # fixtureSeqNum counts from 1
