"""`sportsfeed scoreboard`: a live terminal table of every fixture, read from Kafka.

A downstream consumer like any other: it reads fixture-score, feed-status and market-state
(all compacted) from the beginning, folds them into a `Board`, and redraws a table in place.
The fold and the table are plain functions of the records, so the rendering is tested without
a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from schemas.serde import Record, Registry, parsed_schema
from sportsfeed.core.admin import require_topics
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.log_noise import output_only
from sportsfeed.core.settings import ClusterSettings
from sportsfeed.core.topics import Topics
from sportsfeed.stack.local import stack_endpoints
from sportsfeed.verbs.arguments import non_negative_float
from sportsfeed.verbs.market_view import market_cell, market_reasons

STALE_AFTER_S = 60.0  # nothing heard of an unfinished fixture for this long: its row is marked
TEAM_WIDTH = 14  # longer names are cut with an ellipsis, so the table's width is predictable
FLOWING_FEED_STATES = frozenset({"live", "finished"})  # any other: the row is not live


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
    heard: dt.datetime | None = None  # the Kafka timestamp of the newest record about it
    finished: bool = False
    market: Record | None = None  # the latest market-state record
    liveness_at: dt.datetime | None = None  # emittedAt of the latest feed-status record

    def hear(self, at: dt.datetime | None) -> None:
        if at is not None and (self.heard is None or at > self.heard):
            self.heard = at

    def stale(self, now: dt.datetime) -> bool:
        """Unfinished and silent for STALE_AFTER_S, or a feed the producer reports not live
        (connecting, catching up, stale, down, failed)."""
        if self.finished:
            return False
        silent = self.heard is not None and (now - self.heard).total_seconds() > STALE_AFTER_S
        return silent or any(
            f.split(":")[-1] not in FLOWING_FEED_STATES for f in self.feeds.split()
        )


@dataclass
class Board:
    rows: dict[str, Row] = field(default_factory=dict)

    def apply_score(self, record: Record, heard: dt.datetime | None = None) -> None:
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
        row.hear(heard)

    def apply_status(self, record: Record, heard: dt.datetime | None = None) -> None:
        row = self.rows.setdefault(str(record["fixtureId"]), Row())
        row.sport = row.sport or record["sport"].lower().replace("_", " ")
        row.feeds = " ".join(f"{f['feed'].lower()}:{f['state'].lower()}" for f in record["feeds"])
        row.hear(heard)
        row.liveness_at = record.get("emittedAt")

    def apply_market(self, record: Record, heard: dt.datetime | None = None) -> None:
        row = self.rows.setdefault(str(record["fixtureId"]), Row())
        row.market = record
        row.hear(heard)


@dataclass(frozen=True)
class Column:
    """One column of the table; when the terminal is narrow, the highest `drop` goes first."""

    title: str
    cell: Callable[[Row, dt.datetime], str | Text]
    drop: int  # 0: never dropped
    max_width: int | None = None


def _status(row: Row, now: dt.datetime) -> str:
    if row.finished:
        return "FINISHED"
    return f"STALE {row.status}".strip() if row.stale(now) else row.status


def _updated(row: Row, _now: dt.datetime) -> str:
    return row.updated.strftime("%H:%M:%S") if row.updated else ""


# To add a column, add a line: its place here is its place on screen, `drop` its priority.
# The sport outlasts the period: a period ("3rd Frame 35-25") means little without it.
COLUMNS = (
    Column("sport", lambda row, _: row.sport, drop=2),
    Column("home", lambda row, _: row.home, drop=0, max_width=TEAM_WIDTH),
    Column("score", lambda row, _: row.score, drop=0),
    Column("away", lambda row, _: row.away, drop=0, max_width=TEAM_WIDTH),
    Column("period", lambda row, _: row.period, drop=3),
    Column("clock", lambda row, _: row.clock, drop=4),
    Column("status", _status, drop=1),
    Column("market", lambda row, now: market_cell(row.market, row.liveness_at, now), drop=1),
    Column("why", lambda row, _: market_reasons(row.market), drop=7),
    Column("feeds", lambda row, _: row.feeds, drop=6),
    Column("last update (UTC)", _updated, drop=5),
)
GAP = 2  # between columns: a space of padding each side (no rules: they cost a column each)


def fitting(columns: Sequence[Column], cells: list[list[str | Text]], width: int) -> list[int]:
    """Indexes of the columns to show: the least important dropped until the table fits."""

    def wanted(i: int) -> int:
        widest = max([len(columns[i].title), *(len(line[i]) for line in cells)])
        cap = columns[i].max_width
        return min(widest, cap) if cap else widest

    kept = list(range(len(columns)))
    by_priority = sorted(kept, key=lambda i: columns[i].drop, reverse=True)
    for i in by_priority:
        if sum(wanted(k) for k in kept) + GAP * (len(kept) - 1) <= width or not columns[i].drop:
            break
        kept.remove(i)
    return kept


def render(
    board: Board,
    title: str = "sportsfeed scoreboard",
    width: int = 80,
    now: dt.datetime | None = None,
) -> Table:
    """The board as a table at most `width` columns wide; stale rows marked and yellow."""
    now = now or dt.datetime.now(dt.UTC)
    rows = [row for _, row in sorted(board.rows.items(), key=lambda kv: (kv[1].sport, kv[0]))]
    cells = [[column.cell(row, now) for column in COLUMNS] for row in rows]
    kept = fitting(COLUMNS, cells, width)
    table = Table(title=title, box=None, pad_edge=False, header_style="bold underline")
    for i in kept:
        column = COLUMNS[i]
        table.add_column(
            column.title, max_width=column.max_width, no_wrap=True, overflow="ellipsis"
        )
    for row, line in zip(rows, cells, strict=True):
        style = "dim" if row.finished else "yellow" if row.stale(now) else None
        table.add_row(*(line[i] for i in kept), style=style)
    return table


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "scoreboard",
        help="a live table of every fixture's score and feeds, read from Kafka",
        description="Read fixture-score, feed-status and market-state from the beginning and "
        "keep a table of every fixture up to date in place (works over SSH). Ctrl-C exits.",
    )
    parser.add_argument(
        "--seconds", type=non_negative_float, default=0.0, help="stop after N s (0: Ctrl-C)"
    )
    parser.add_argument("--once", action="store_true", help="print the table once, caught up")
    parser.set_defaults(verb=run)


def run(args: argparse.Namespace, settings: ClusterSettings) -> int:
    with output_only(settings), stack_endpoints(settings) as endpoints:
        follower = Follower(endpoints, Topics(settings.topic_prefix))
        asyncio.run(show(follower, Console(), args.seconds, once=args.once))
    return 0


class Follower:
    """Folds fixture-score, feed-status and market-state records into a board as they arrive.

    It only reads: values are decoded by their writer schema's id, nothing is registered.
    `only` keeps the board to those fixtures (the demo's, among earlier runs' records).
    """

    def __init__(
        self, endpoints: Endpoints, topics: Topics, only: frozenset[str] | None = None
    ) -> None:
        self._only = only
        self._registry = Registry(endpoints.registry_url)
        self._endpoints = endpoints
        self.readers = {
            topics.fixture_score: parsed_schema("fixture_score"),
            topics.feed_status: parsed_schema("feed_status"),
            topics.market_state: parsed_schema("market_state"),
        }
        self.topics = topics
        self.board = Board()
        self._consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> Follower:
        await require_topics(self._endpoints, list(self.readers))
        # built here: aiokafka binds a consumer to the running event loop
        self._consumer = AIOKafkaConsumer(
            *self.readers,
            **self._endpoints.kafka(auto_offset_reset="earliest", enable_auto_commit=False),
        )
        await self._consumer.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def read_to_now(self, stop: asyncio.Event) -> None:
        """Apply every record written before this call, or until `stop`. Not "until a second
        passes without records": feed-status and market-state are renewed every second."""
        consumer = self._started()
        while not consumer.assignment() and not stop.is_set():
            await self.poll(100)  # the topics' partitions are assigned on the first fetches
        ends = await consumer.end_offsets(list(consumer.assignment()))
        while not stop.is_set():
            positions = {tp: await consumer.position(tp) for tp in ends}
            if all(positions[tp] >= end for tp, end in ends.items()):
                return
            await self.poll(200)

    def _started(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            raise RuntimeError("reading outside `async with follower:`")
        return self._consumer

    async def poll(self, timeout_ms: int = 500) -> int:
        """Apply what arrived within `timeout_ms`; how many records that was."""
        batch = await self._started().getmany(timeout_ms=timeout_ms)
        count = 0
        for tp, messages in batch.items():
            for message in messages:
                if message.value is None:
                    continue  # a tombstone of a compacted topic
                if self._only is not None and (message.key or b"").decode() not in self._only:
                    continue
                record = self._registry.read(message.value, self.readers[tp.topic])
                heard = dt.datetime.fromtimestamp(message.timestamp / 1000, dt.UTC)
                if tp.topic == self.topics.fixture_score:
                    self.board.apply_score(record, heard)
                elif tp.topic == self.topics.market_state:
                    self.board.apply_market(record, heard)
                else:
                    self.board.apply_status(record, heard)
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
            await follower.read_to_now(stop)
            console.print(render(follower.board, width=console.width))
            return
        await follow_live(follower, console, lambda: stop.is_set() or time.monotonic() > deadline)


async def follow_live(follower: Follower, console: Console, done: Callable[[], bool]) -> None:
    """Redraw the board in place as records arrive, fitted to the terminal, until `done()`."""
    with Live(
        render(follower.board, width=console.width), console=console, refresh_per_second=2
    ) as live:
        while not done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(follower.poll(), 1.0)
            live.update(render(follower.board, width=console.width))
