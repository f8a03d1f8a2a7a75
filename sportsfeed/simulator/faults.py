"""Simulator: the faults it can inject, per fixture, for the reliability tests.

Stream faults (repeated frames, malformed frames) are part of the fixture's stream: every
connection sees them at the same positions, as a vendor's bad frame would be. Connection faults
(drops, silence, delay, refusals) hit the first `faulty_connections` connections of a stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random

import orjson

from sportsfeed.simulator.render import TimedFrame

MALFORMED_KINDS = ("bad-json", "wrong-types", "truncated", "not-an-object")


@dataclass(frozen=True)
class FaultPlan:
    """What goes wrong for one fixture. The default: nothing."""

    duplicate_rate: float = 0.0  # share of data frames the server sends twice in a row
    malformed_rate: float = 0.0  # share of positions followed by a malformed frame
    drop_after: int | None = None  # close the connection abruptly after N data frames
    drop_rate: float = 0.0  # chance per data frame of an abrupt close
    silence_after: int | None = None  # after N data frames: nothing more, not even heartbeats
    delay_s: float = 0.0  # extra delay before every data frame
    refuse_first: int = 0  # refuse this many connection attempts (HTTP 503) first
    faulty_connections: int | None = None  # connection faults hit only the first N connections

    def hits(self, connection_number: int) -> bool:
        """Whether connection faults apply to the stream's `connection_number`-th connection."""
        return self.faulty_connections is None or connection_number <= self.faulty_connections

    @property
    def changes_stream(self) -> bool:
        return self.duplicate_rate > 0 or self.malformed_rate > 0


@dataclass(frozen=True)
class Injected:
    """The stream after stream faults, with what was injected where (1-based positions)."""

    frames: list[TimedFrame]
    duplicates: list[int] = field(default_factory=list)
    malformed: list[int] = field(default_factory=list)


def inject(frames: list[TimedFrame], plan: FaultPlan, seed: str) -> Injected:
    """Insert repeated and malformed frames into a stream, deterministically by `seed`."""
    if not plan.changes_stream:
        return Injected(frames)
    rng = Random(f"faults:{seed}")
    out: list[TimedFrame] = []
    duplicates: list[int] = []
    malformed: list[int] = []
    for frame in frames:
        out.append(frame)
        if rng.random() < plan.duplicate_rate:
            out.append(frame)
            duplicates.append(len(out))
        if rng.random() < plan.malformed_rate:
            out.append(
                TimedFrame(frame.at, malformed_text(frame.text, rng.choice(MALFORMED_KINDS)))
            )
            malformed.append(len(out))
    return Injected(out, duplicates, malformed)


def malformed_text(text: str, kind: str) -> str:
    """A broken variant of a good frame: what a faulty vendor release might send."""
    if kind == "bad-json":
        return text.replace(":", "=", 3)
    if kind == "truncated":
        return text[: max(1, len(text) // 2)]
    if kind == "not-an-object":
        return "[" + text + "]"
    return _wrong_types(text)


def _wrong_types(text: str) -> str:
    """Well-formed JSON whose sequence number and score have the wrong types."""
    frame = orjson.loads(text)
    if "fixtureAction" in frame:
        frame["fixtureAction"]["fixtureSeqNum"] = "seven"
        frame["fixtureSummary"]["homeTeamScore"] = {"goals": "two"}
    else:
        frame["seqNum"] = "seven"
        frame["teamActionAggregates"] = "none"
    return orjson.dumps(frame).decode()
