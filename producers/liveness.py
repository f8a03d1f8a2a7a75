"""Producer (sans I/O): the liveness lease on every feed-status record it writes.

Every `RENEW_S` the producer writes a feed-status record for each fixture it streams, carrying
its instance id and `validUntil` = now + lease. Nothing else vouches for a feed: a producer that
dies, hangs or loses Kafka stops renewing, and the lease running out is the signal (a state
left behind never is). A clean stop writes DOWN for what it held, valid no longer.
"""

from __future__ import annotations

import os
import secrets
import socket
import zlib
from dataclasses import dataclass
from typing import Final

from producers.protocol import StreamId
from producers.status import FixtureStatus, State
from schemas.records import FeedStatus

RENEW_S: Final = 1.0  # a fixed cadence, so a missing renewal is itself news
RENEWAL_SLOTS: Final = 10  # each fixture renewed in one tenth of the second, its own
STOPPED: Final = "producer stopped"


def renewal_slot(fixture_id: str) -> int:
    """The tenth of each second in which the fixture's lease is renewed. Spread by fixture: all
    renewed at once, 500 fixtures' records were one burst a second, and the frames that came
    in behind it, here and in every worker reading feed-status, waited tens of milliseconds."""
    return zlib.crc32(fixture_id.encode()) % RENEWAL_SLOTS


def producer_instance_id() -> str:
    """This process's name on its records: host, pid and a random suffix (pids are reused)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Lease:
    producer_id: str
    lease_s: float

    def stamp(self, record: FeedStatus, now_us: int, *, released: bool = False) -> None:
        """Add the producer's id and lease to a FeedStatus record (released: valid no longer)."""
        record["producerId"] = self.producer_id
        record["validUntil"] = now_us if released else now_us + int(self.lease_s * 1e6)


def release(status: FixtureStatus, streams: list[StreamId], now_us: int) -> None:
    """A clean stop: every stream of the fixture not yet finished (or failed) is DOWN."""
    for stream in streams:
        current = status.feeds.get(stream.feed)
        if current is None or current.state not in {State.FINISHED, State.FAILED}:
            status.enter(stream, State.DOWN, now_us, STOPPED)
