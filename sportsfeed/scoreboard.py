"""`sportsfeed scoreboard`: a live terminal table of every fixture, read from Kafka.

A downstream consumer like any other: it reads fixture-score, feed-status and market-state
(all compacted)
from the beginning, folds them into a `Board`, and redraws a table in place. The fold and the
table are plain functions of the records, so the rendering is tested without a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import signal
import time
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from infra.stack import Endpoints, stack_endpoints
from schemas.serde import AvroCodec, Registry
from sportsfeed.market_view import market_cell
from sportsfeed.settings import Settings
from sportsfeed.topics import Topics

Record = dict[str, Any]


@dataclass
class Row:
    sport: str = ""
    home: str = "?"
    away: str = "?"
    score: str = "-"
    period: str = "-"
    clock: str = ""
    status: str = ""
    feeds: str = "-"
    updated: dt.datetime | None = None
    finished: bool = False
    market: Record | None = None  # the latest market-state record
    liveness_at: dt.datetime | None = None  # emittedAt of the latest feed-status record


@dataclass
class Board:
    rows: dict[str, Row] = field(default_factory=dict)

    def apply_score(self, record: Record) -> None:
        row = self.rows.setdefault(str(record["fixtureId"]), Row())
        row.sport = record["sport"].lower().replace("_", " ")
        row.home = record["homeTeam"]["name"] or row.home
        row.away = record["awayTeam"]["name"] or row.away
        row.score = f"{record['homeScore']}-{record['awayScore']}"
        periods = record["periods"]
        current = next((p for p in periods if p["period"] == record["currentPeriod"]), None)
        row.period = (current["label"] or str(current["period"])) if current else "-"
        if current is not None and row.sport not in {"soccer", "basketball"}:
            row.period += f" {current['homePoints']}-{current['awayPoints']}"
        row.clock = record["clock"] or ""
        row.status = record["status"] or ""
        row.finished = record["finished"]
        row.updated = record["source"]["timestamp"]

    def apply_status(self, record: Record) -> None:
        row = self.rows.setdefault(str(record["fixtureId"]), Row())
        row.sport = row.sport or record["sport"].lower().replace("_", " ")
        row.feeds = " ".join(f"{f['feed'].lower()}:{f['state'].lower()}" for f in record["feeds"])
        row.liveness_at = record.get("emittedAt")

    def apply_market(self, record: Record) -> None:
        self.rows.setdefault(str(record["fixtureId"]), Row()).market = record


def render(
    board: Board, title: str = "sportsfeed scoreboard", now: dt.datetime | None = None
) -> Table:
    now = now or dt.datetime.now(dt.UTC)
    table = Table(title=title)
    for column in ("sport", "home", "score", "away", "period", "clock", "status", "feeds",
                   "last update (UTC)", "market, lease age"):  # fmt: skip
        table.add_column(column)
    for _, row in sorted(board.rows.items(), key=lambda item: (item[1].sport, item[0])):
        updated = row.updated.strftime("%H:%M:%S") if row.updated else ""
        status = "FINISHED" if row.finished else row.status
        table.add_row(row.sport, row.home, row.score, row.away, row.period, row.clock, status,
                      row.feeds, updated, market_cell(row.market, row.liveness_at, now),
                      style="dim" if row.finished else None)  # fmt: skip
    return table


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "scoreboard",
        help="a live table of every fixture's score and feeds, read from Kafka",
        description="Read fixture-score and feed-status from the beginning and keep a table of "
        "every fixture up to date in place (works over SSH). Ctrl-C exits.",
    )
    parser.add_argument("--seconds", type=float, default=0.0, help="stop after N s (0: Ctrl-C)")
    parser.add_argument("--once", action="store_true", help="print the table once, caught up")
    parser.set_defaults(verb=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    with stack_endpoints(settings) as endpoints:
        follower = Follower(endpoints, Topics(settings.topic_prefix))
        asyncio.run(show(follower, Console(), args.seconds, once=args.once))
    return 0


class Follower:
    """Folds fixture-score and feed-status records into a board as they arrive."""

    def __init__(self, endpoints: Endpoints, topics: Topics) -> None:
        registry = Registry(endpoints.registry_url)
        self.codecs = {
            topics.fixture_score: AvroCodec(topics.fixture_score, "fixture_score", registry),
            topics.feed_status: AvroCodec(topics.feed_status, "feed_status", registry),
            topics.market_state: AvroCodec(topics.market_state, "market_state", registry),
        }
        self.topics = topics
        self.board = Board()
        self._consumer = AIOKafkaConsumer(
            *self.codecs, **endpoints.kafka(auto_offset_reset="earliest", enable_auto_commit=False)
        )

    async def __aenter__(self) -> Follower:
        await self._consumer.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._consumer.stop()

    async def poll(self, timeout_ms: int = 500) -> int:
        """Apply what arrived within `timeout_ms`; how many records that was."""
        batch = await self._consumer.getmany(timeout_ms=timeout_ms)
        count = 0
        for tp, messages in batch.items():
            codec = self.codecs[tp.topic]
            for message in messages:
                record = codec.decode(message.value)
                if tp.topic == self.topics.fixture_score:
                    self.board.apply_score(record)
                elif tp.topic == self.topics.market_state:
                    self.board.apply_market(record)
                else:
                    self.board.apply_status(record)
                count += 1
        return count


async def show(follower: Follower, console: Console, seconds: float, once: bool = False) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    deadline = time.monotonic() + seconds if seconds else float("inf")
    async with follower:
        if once:
            while await follower.poll(1000):
                pass
            console.print(render(follower.board))
            return
        with Live(render(follower.board), console=console, refresh_per_second=2) as live:
            while not stop.is_set() and time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(follower.poll(), 1.0)
                live.update(render(follower.board))
