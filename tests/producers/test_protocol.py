"""The producer's sans-I/O protocol pieces: control frames, finish marks, URLs, headers."""

from __future__ import annotations

import pytest

from producers.protocol import (
    StreamId,
    classify,
    loggable_url,
    marks_finished,
    raw_headers,
    stream_url,
)
from producers.status import FixtureStatus, State
from sportsfeed.core.vendor import Channel, Feed, Sport

FIXTURE = "1bd00469-86fa-4f0b-abcc-30cbef80dacc"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ('{"message": "Authorisation accepted", "level": "INFO"}', "INFO"),
        ('{"message":"Heartbeat sent at 2026-01-01T00:00:00Z","level":"INFO"}', "heartbeat"),
        ('{"message": "The supplied authentication is invalid", "level": "ERROR"}', "ERROR"),
        ('{"seqNum": 3, "message": "x", "level": "INFO", "teamActionAggregates": []}', None),
        ('{"fixtureAction": {"metadata": {"message": "m", "level": "l"}}}', None),
        ('{"message": "truncated', None),
        ("[1, 2]", None),
    ],
)
def test_control_frames_are_told_from_data(text: str, kind: str | None) -> None:
    control = classify(text)
    if kind is None:
        assert control is None
    elif kind == "heartbeat":
        assert control is not None
        assert control.is_heartbeat
    else:
        assert control is not None
        assert control.level == kind
        assert control.is_error == (kind == "ERROR")


@pytest.mark.parametrize(
    ("text", "finished"),
    [
        ('{"finished":true,"fixtureId":"x"}', True),
        ('{"fixtureSummary": {"finished" : true}}', True),
        ('{"finished":false}', False),
        ('{"fixtureSummary": {"finished": false, "name": "finished true"}}', False),
    ],
)
def test_finish_marks(text: str, finished: bool) -> None:
    assert marks_finished(text) is finished


def test_urls_and_headers_carry_no_credentials() -> None:
    stream = StreamId(FIXTURE, Sport.TABLE_TENNIS, Feed.STATISTICS)
    url = stream_url("wss://dde-streams.example", stream, Channel.MEDIA, 42, "fast")
    assert url == (
        f"wss://dde-streams.example/media/v2/tabletennis/fixtures/{FIXTURE}/statistics"
        "?startPosition=42&speed=fast"
    )
    assert loggable_url("wss://user:pw@host:8443/soccer/fixtures/x/actions?token=t") == (
        "wss://host:8443/soccer/fixtures/x/actions"
    )
    headers = dict(
        raw_headers(stream, Channel.BETTING, 7, 1_700_000_000_000_000, loggable_url(url))
    )
    assert headers == {
        "sport": b"v2/tabletennis",
        "feed": b"statistics",
        "channel": b"betting",
        "position": b"7",
        "received-at": b"1700000000000000",
        "source": f"wss://dde-streams.example/media/v2/tabletennis/fixtures/{FIXTURE}/statistics".encode(),
        "feeds": b"actions,statistics",
    }
    only = dict(raw_headers(stream, Channel.BETTING, 7, 0, "", (Feed.STATISTICS,)))
    assert only["feeds"] == b"statistics"


def test_status_snapshot_holds_every_feed_and_reports_changes_once() -> None:
    status = FixtureStatus(Channel.BETTING)
    actions = StreamId(FIXTURE, Sport.SOCCER, Feed.ACTIONS)
    statistics = StreamId(FIXTURE, Sport.SOCCER, Feed.STATISTICS)
    assert status.enter(actions, State.CONNECTING, 1)
    assert not status.enter(actions, State.CONNECTING, 2)  # no change, nothing to report
    assert status.enter(statistics, State.DOWN, 3, "refused")
    status.acknowledge(actions, 10, 99, 4)
    record = status.record(actions, 5)
    assert record["changed"] == "ACTIONS"
    assert [
        (f["feed"], f["state"], f["position"], f["rawOffset"], f["reason"]) for f in record["feeds"]
    ] == [
        ("ACTIONS", "CONNECTING", 10, 99, None),
        ("STATISTICS", "DOWN", 0, None, "refused"),
    ]
