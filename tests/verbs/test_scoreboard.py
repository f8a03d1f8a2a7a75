"""The scoreboard's fold and table, from hand-written records, captured by rich's console."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console

from sportsfeed.verbs.scoreboard import STALE_AFTER_S, Board, render

SOCCER, TT = "11111111-0000-0000-0000-000000000001", "22222222-0000-0000-0000-000000000002"
AT = dt.datetime(2026, 11, 22, 14, 5, 9, tzinfo=dt.UTC)


def score(
    fixture_id: str,
    sport: str,
    home: tuple[str, int],
    away: tuple[str, int],
    periods: list[tuple[int, str, int, int]],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "fixtureId": fixture_id,
        "sport": sport,
        "homeTeam": {"id": None, "name": home[0]},
        "awayTeam": {"id": None, "name": away[0]},
        "homeScore": home[1],
        "awayScore": away[1],
        "periods": [
            {
                "period": n,
                "type": "Regular",
                "label": label,
                "homePoints": h,
                "awayPoints": a,
                "ended": False,
            }
            for n, label, h, a in periods
        ],
        "currentPeriod": periods[-1][0],
        "status": "Live",
        "clock": None,
        "clockRunning": None,
        "finished": False,
        "source": {"feed": "ACTIONS", "sequence": 1, "position": 1, "timestamp": AT},
    } | extra


def shown(board: Board, width: int = 200, now: dt.datetime = AT) -> list[str]:
    console = Console(record=True, width=width, color_system=None)
    console.print(render(board, width=width, now=now))
    return console.export_text().splitlines()


def test_rows_show_score_period_clock_feeds_and_finished() -> None:
    board = Board()
    board.apply_score(
        score(
            SOCCER, "SOCCER", ("Ashford", 1), ("Redmoor", 0), [(1, "1st half", 1, 0)], clock="40:00"
        )
    )
    halves = [(1, "1st half", 1, 0), (2, "2nd half", 1, 1)]
    board.apply_score(
        score(SOCCER, "SOCCER", ("Ashford", 2), ("Redmoor", 1), halves, clock="67:12")
    )
    board.apply_score(
        score(
            TT,
            "TABLE_TENNIS",
            ("LI Wen", 3),
            ("SATO Yui", 2),
            [(5, "5th Set", 11, 7)],
            finished=True,
        )
    )
    feeds = [{"feed": "ACTIONS", "state": "LIVE"}, {"feed": "STATISTICS", "state": "STALE"}]
    board.apply_status({"fixtureId": SOCCER, "sport": "SOCCER", "feeds": feeds})
    lines = shown(board)
    soccer = next(line for line in lines if "Ashford" in line)
    for cell in (
        "soccer",
        "2-1",
        "Redmoor",
        "2nd half",
        "67:12",
        "Live",
        "actions:live statistics:stale",
        "14:05:09",
    ):
        assert cell in soccer
    assert "1-0" not in soccer  # the later record replaced the earlier one
    tennis = next(line for line in lines if "LI Wen" in line)
    assert "3-2" in tennis
    assert "5th Set 11-7" in tennis  # set sports show the points of the period in play
    assert "FINISHED" in tennis
    assert lines.index(soccer) < lines.index(tennis)  # ordered by sport


def test_a_status_before_any_score_shows_the_fixture_waiting() -> None:
    board = Board()
    board.apply_status(
        {
            "fixtureId": TT,
            "sport": "TABLE_TENNIS",
            "feeds": [{"feed": "STATISTICS", "state": "CONNECTING"}],
        }
    )
    row = next(line for line in shown(board) if "table tennis" in line)
    assert "statistics:connecting" in row
    assert " - " in row  # no score yet


def long_board() -> Board:
    """Every column at its widest: long names, long period labels, both feeds reported."""
    board = Board()
    board.apply_score(
        score(
            SOCCER,
            "SOCCER",
            ("Ashford Athletic Football Club", 2),
            ("Redmoor Rovers Reserves XI", 1),
            [(2, "2nd half", 1, 1)],
            clock="67:12",
        ),
        heard=AT,
    )
    board.apply_score(
        score(TT, "TABLE_TENNIS", ("LI Wen", 3), ("SATO Yui", 2), [(5, "5th Set", 11, 7)]), heard=AT
    )
    feeds = [{"feed": "ACTIONS", "state": "LIVE"}, {"feed": "STATISTICS", "state": "LIVE"}]
    for fixture, sport in ((SOCCER, "SOCCER"), (TT, "TABLE_TENNIS")):
        board.apply_status({"fixtureId": fixture, "sport": sport, "feeds": feeds}, heard=AT)
    return board


def test_the_table_fits_80_columns_dropping_the_least_important_first() -> None:
    wide = shown(long_board())
    assert max(len(line) for line in wide) > 80  # the case is real: in full it would not fit
    lines = shown(long_board(), width=80)
    assert max(len(line) for line in lines) <= 80
    header = next(line for line in lines if "score" in line and "home" in line)
    for kept in ("sport", "home", "score", "away", "status", "market"):
        assert kept in header
    assert "feeds" not in header  # among the first to go
    soccer = next(line for line in lines if "2-1" in line)
    for cell in ("soccer", "Ashford", "Redmoor"):
        assert cell in soccer


def test_at_80_columns_a_suspended_market_keeps_the_sport_and_its_reasons_go_first() -> None:
    board = long_board()
    for fixture in (SOCCER, TT):
        board.apply_market(
            {
                "fixtureId": fixture,
                "state": "SUSPENDED",
                "livenessAt": AT,
                "reasons": ["FEED_NOT_LIVE", "PENDING_DECISION"],
                "validUntil": AT + dt.timedelta(seconds=3),
            }
        )
    later = AT + dt.timedelta(seconds=1.5)
    wide = next(line for line in shown(board, now=later) if "2-1" in line)
    assert "feed not live, pending decision" in wide  # shown where there is room
    lines = shown(board, width=80, now=later)
    assert max(len(line) for line in lines) <= 80
    for line, sport in (
        (next(x for x in lines if "2-1" in x), "soccer"),
        (next(x for x in lines if "LI Wen" in x), "table tennis"),
    ):
        assert sport in line
        assert "SUSPENDED" in line
        assert "pending decision" not in line


def test_a_narrow_terminal_keeps_teams_and_score() -> None:
    lines = shown(long_board(), width=40)
    assert max(len(line) for line in lines) <= 40 + 2  # names are cut, never the score
    soccer = next(line for line in lines if "2-1" in line)
    assert "Ashford" in soccer
    assert "Redmoor" in soccer


def test_a_fixture_not_heard_of_for_a_minute_is_marked_stale() -> None:
    board = long_board()
    later = AT + dt.timedelta(seconds=STALE_AFTER_S + 1)
    soccer = next(line for line in shown(board, now=later) if "2-1" in line)
    assert "STALE" in soccer
    fresh = next(line for line in shown(board, now=AT + dt.timedelta(seconds=5)) if "2-1" in line)
    assert "STALE" not in fresh


def test_a_finished_fixture_is_never_stale_and_a_down_feed_always_is() -> None:
    board = long_board()
    board.apply_score(
        score(
            TT,
            "TABLE_TENNIS",
            ("LI Wen", 3),
            ("SATO Yui", 2),
            [(5, "5th Set", 11, 7)],
            finished=True,
        ),
        heard=AT,
    )
    down = [{"feed": "ACTIONS", "state": "DOWN"}, {"feed": "STATISTICS", "state": "LIVE"}]
    board.apply_status({"fixtureId": SOCCER, "sport": "SOCCER", "feeds": down}, heard=AT)
    lines = shown(board, now=AT + dt.timedelta(hours=1))
    assert "STALE" not in next(line for line in lines if "LI Wen" in line)
    assert "STALE" in next(line for line in shown(board, now=AT) if "2-1" in line)


def test_a_feed_reconnecting_or_catching_up_marks_its_row_stale() -> None:
    for state in ("CONNECTING", "CATCHING_UP"):
        board = long_board()
        feeds = [{"feed": "ACTIONS", "state": state}, {"feed": "STATISTICS", "state": "LIVE"}]
        board.apply_status({"fixtureId": SOCCER, "sport": "SOCCER", "feeds": feeds}, heard=AT)
        assert "STALE" in next(line for line in shown(board, now=AT) if "2-1" in line), state
