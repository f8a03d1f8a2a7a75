"""Producer (sans I/O): each stream's state for `feed-status`, and the records that report it.

States follow the stream's life: CONNECTING, CATCHING_UP (the replay after startPosition),
LIVE, STALE (silent past the liveness limit), DOWN (connection failed), FINISHED, FAILED.
A record is a snapshot of every feed the producer runs for one fixture. Finished streams are
remembered for a while (`Finished`), then forgotten.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from producers.protocol import StreamId
from schemas import records
from sportsfeed.core.vendor import Channel, Feed

# The reason of a FAILED stream the producer stopped trying (see `producers.stream`); such a
# stream is not resumed on start, every other unfinished one is.
GAVE_UP = "given up"


class State(enum.Enum):
    CONNECTING = "CONNECTING"
    LIVE = "LIVE"
    CATCHING_UP = "CATCHING_UP"
    STALE = "STALE"
    DOWN = "DOWN"
    FINISHED = "FINISHED"
    FAILED = "FAILED"


@dataclass(slots=True)
class FeedState:
    state: State
    since_us: int
    position: int = 0  # frames acknowledged by Kafka
    raw_offset: int | None = None  # offset of the record at `position`
    reason: str | None = None
    last_heartbeat_us: int | None = None
    last_data_us: int | None = None

    def as_record(self, feed: Feed) -> records.FeedState:
        return {
            "feed": feed.name,
            "state": self.state.value,
            "since": self.since_us,
            "reason": self.reason,
            "position": self.position,
            "rawOffset": self.raw_offset,
            "lastHeartbeatAt": self.last_heartbeat_us,
            "lastDataAt": self.last_data_us,
        }


@dataclass
class FixtureStatus:
    """The states of one fixture's feeds; makes the FeedStatus records."""

    channel: Channel
    feeds: dict[Feed, FeedState] = field(default_factory=dict)

    def enter(self, stream: StreamId, state: State, now_us: int, reason: str | None = None) -> bool:
        """Move `stream` to `state`; False if it already was there (nothing to report)."""
        current = self.feeds.get(stream.feed)
        if current is not None and current.state is state and current.reason == reason:
            return False
        base = current or FeedState(state, now_us)
        self.feeds[stream.feed] = replace(base, state=state, since_us=now_us, reason=reason)
        return True

    def acknowledge(self, stream: StreamId, position: int, offset: int | None, now_us: int) -> None:
        """Kafka holds the stream's frames up to `position`, the last at `offset` (hot path)."""
        current = self.feeds.get(stream.feed)
        if current is None:
            current = self.feeds[stream.feed] = FeedState(State.CONNECTING, now_us)
        current.position, current.raw_offset, current.last_data_us = position, offset, now_us

    def heartbeat(self, stream: StreamId, now_us: int) -> None:
        current = self.feeds.get(stream.feed)
        if current is None:
            current = self.feeds[stream.feed] = FeedState(State.CONNECTING, now_us)
        current.last_heartbeat_us = now_us

    def record(self, stream: StreamId, now_us: int) -> records.FeedStatus:
        return {
            "fixtureId": stream.fixture_id,
            "sport": stream.sport.name,
            "channel": self.channel.name,
            "changed": stream.feed.name,
            "feeds": [self.feeds[f].as_record(f) for f in sorted(self.feeds, key=lambda f: f.name)],
            "emittedAt": now_us,
        }


def count_states(statuses: Iterable[FixtureStatus]) -> Counter[State]:
    """How many streams are in each state."""
    return Counter(feed.state for status in statuses for feed in status.feeds.values())


@dataclass
class Finished:
    """Finished streams, remembered for `ttl_s` so that discovery listing them again does not
    start them again, then forgotten: a producer following discovery for weeks keeps only the
    streams of the last `ttl_s`. (Forgetting early costs only a recovery: the raw topics say
    a stream finished, so it is not run again.)"""

    ttl_s: float
    since: dict[StreamId, float] = field(default_factory=dict)  # in the order they finished

    def __contains__(self, stream: object) -> bool:
        return stream in self.since

    def __len__(self) -> int:
        return len(self.since)

    def add(self, stream: StreamId, now: float) -> None:
        self.since.pop(stream, None)  # kept in finishing order
        self.since[stream] = now

    def forget(self, now: float) -> list[StreamId]:
        """The streams finished `ttl_s` or more before `now`, no longer remembered."""
        expired = []
        for stream, since in self.since.items():
            if now - since < self.ttl_s:
                break
            expired.append(stream)
        for stream in expired:
            del self.since[stream]
        return expired
