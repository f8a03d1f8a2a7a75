"""The market column of the scoreboard and the lease fields of `tail`, by the consumer's rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console

from sportsfeed.verbs.market_view import lease_fields, market_cell, market_reasons
from sportsfeed.verbs.scoreboard import Board, render

NOW = dt.datetime(2026, 11, 28, 17, 0, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return NOW + dt.timedelta(seconds=seconds)


def market(state: str, valid_for_s: float, *reasons: str) -> dict[str, Any]:
    return {
        "state": state,
        "reasons": list(reasons),
        "validUntil": at(valid_for_s),
        "livenessAt": at(-0.5),
    }


def test_an_open_market_within_its_lease_shows_open_and_the_liveness_age() -> None:
    cell = market_cell(market("OPEN", 2.5), at(-0.5), NOW)
    assert (cell.plain, str(cell.style)) == ("OPEN 0.5s", "green")


def test_an_open_market_past_its_lease_shows_expired_in_red() -> None:
    cell = market_cell(market("OPEN", -9), at(-12), NOW)
    assert (cell.plain, str(cell.style)) == ("EXPIRED 12.0s", "bold red")


def test_a_suspended_market_shows_its_state_and_names_its_reasons_apart() -> None:
    suspended = market("SUSPENDED", 2, "FEED_NOT_LIVE", "PENDING_DECISION")
    cell = market_cell(suspended, at(-1), NOW)
    assert (cell.plain, str(cell.style)) == ("SUSPENDED 1.0s", "yellow")
    assert market_reasons(suspended) == "feed not live, pending decision"
    assert market_reasons(market("OPEN", 2)) == ""


def test_a_fixture_without_market_state_shows_a_dash() -> None:
    assert market_cell(None, None, NOW).plain == "-"


def test_tail_adds_the_lease_as_read_now() -> None:
    assert lease_fields(market("OPEN", -1), NOW) == {"expired": True, "livenessAgeS": 0.5}
    status = {"emittedAt": at(-0.25), "validUntil": at(2.75)}
    assert lease_fields(status, NOW) == {"expired": False, "livenessAgeS": 0.25}
    assert lease_fields({"validUntil": None}, NOW) == {}
    assert lease_fields([1, 2], NOW) == {}


def test_the_scoreboard_shows_a_fixture_nobody_renews_as_expired() -> None:
    board = Board()
    fixture = "11111111-0000-0000-0000-000000000001"
    feeds = [{"feed": "ACTIONS", "state": "LIVE"}]
    board.apply_status(
        {"fixtureId": fixture, "sport": "SOCCER", "feeds": feeds, "emittedAt": at(-20)}
    )
    board.apply_market(market("OPEN", -17) | {"fixtureId": fixture})
    console = Console(record=True, width=250, color_system=None)
    console.print(render(board, width=250, now=NOW))
    row = next(line for line in console.export_text().splitlines() if "soccer" in line)
    assert "EXPIRED 20.0s" in row
    assert "actions:live" in row  # the feed's last word, which the lease overrules
