"""Producer, step 1 (sans I/O): the vendor's stream protocol as plain values and functions.

Which URL a stream lives at, how a frame is told to be control or data, what headers a raw
record carries. No sockets here: `producers.stream` does the I/O around these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import orjson

from sportsfeed.core.limits import OVERSIZED_HEADER
from sportsfeed.core.vendor import Channel, Feed, Sport, stream_path

_DATA_KEYS: Final = frozenset({"fixtureAction", "fixtureSummary", "seqNum", "teamActionAggregates"})
_FINISHED: Final = re.compile(r'"finished"\s*:\s*true')


@dataclass(frozen=True, order=True)
class StreamId:
    """One vendor stream: a fixture's actions or statistics."""

    fixture_id: str
    sport: Sport
    feed: Feed

    def __str__(self) -> str:
        return f"{self.sport.slug}/{self.fixture_id}/{self.feed.value}"


@dataclass(frozen=True)
class Control:
    """A control frame: the auth answer, a heartbeat, a warning or an error."""

    message: str
    level: str

    @property
    def is_error(self) -> bool:
        return self.level.upper() == "ERROR"

    @property
    def is_heartbeat(self) -> bool:
        return self.message.startswith("Heartbeat")


def stream_url(base: str, stream: StreamId, channel: Channel, position: int, speed: str) -> str:
    path = stream_path(stream.sport, stream.fixture_id, stream.feed, channel)
    return f"{base}{path}?startPosition={position}&speed={speed}"


def loggable_url(url: str) -> str:
    """The URL as it may be logged and stored: no query, no user information."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def auth_message(token: str) -> str:
    return orjson.dumps({"authToken": token}).decode()


def classify(text: str) -> Control | None:
    """The control frame in `text`, or None for a data frame (or anything else)."""
    if '"level"' not in text or '"message"' not in text:
        return None  # fast path: data frames carry neither key at the top
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(frame, dict) or _DATA_KEYS & frame.keys():
        return None
    message, level = frame.get("message"), frame.get("level")
    if isinstance(message, str) and isinstance(level, str):
        return Control(message, level)
    return None


def marks_finished(text: str) -> bool:
    """Whether a data frame says its fixture has finished (top level or summary)."""
    return _FINISHED.search(text) is not None


def raw_headers(
    stream: StreamId,
    channel: Channel,
    position: int,
    received_at_us: int,
    source_url: str,
    feeds: tuple[Feed, ...] = tuple(Feed),
) -> list[tuple[str, bytes]]:
    """A raw record's headers; `feeds` are the fixture's feeds this producer subscribes."""
    return [
        ("sport", stream.sport.value.encode()),
        ("feed", stream.feed.value.encode()),
        ("channel", channel.value.encode()),
        ("position", str(position).encode()),
        ("received-at", str(received_at_us).encode()),
        ("source", source_url.encode()),
        ("feeds", ",".join(feed.value for feed in feeds).encode()),
    ]


def stand_in(headers: list[tuple[str, bytes]], size: int) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The record published instead of a frame of `size` bytes over the frame limit: an empty
    value and the frame's headers plus `oversized` (its size), so its position still counts."""
    return b"", [*headers, (OVERSIZED_HEADER, str(size).encode())]
