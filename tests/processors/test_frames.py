"""Frame parsing: what real frames do is accepted, what cannot be understood says why."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest

from processors.frames import ActionsFrame, BadFrame, StatisticsFrame, parse, timestamp_us
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import generated
from sportsfeed.simulator.faults import MALFORMED_KINDS, malformed_text

EXAMPLE = Path(__file__).parent / "data" / "tabletennis_statistics_example.json"
FIXTURE = "6f0c1a52-3d4e-4b7a-9c1d-2e3f4a5b6c7d"
TEAM = "0222e701-d937-4250-8041-0f8ed8cf4a23"


def actions_v1(**summary: Any) -> dict[str, Any]:
    """A version-1 actions frame: no top-level finished, no collection or clock state."""
    return {
        "traceId": "0" * 32,
        "version": 1,
        "fixtureAction": {
            "fixtureId": FIXTURE,
            "actionId": "a1",
            "fixtureSeqNum": 1,
            "timelineSequence": 0.0,
            "period": 0,
            "clockTime": "00:00",
            "timestamp": "2025-05-30T08:00:00.000001Z",
            "sendType": "Confirmed",
            "sendTypeId": 5,
            "fixtureActionType": "Team Colours",
            "fixtureActionTypeId": 2,
            "relatedFixtureActionIds": [],
            "team": {"id": TEAM, "name": "Home FC"},
        },
        "fixtureSummary": {
            "homeTeamScore": 0,
            "awayTeamScore": 0,
            "isTied": True,
            "finished": False,
            "currentPeriod": 0,
            "currentStatus": "Scheduled",
            "currentClockTime": "00:00",
            "isHomeTeamInPossesion": None,
            "periods": [],
        }
        | summary,
    }


def test_a_version_1_actions_frame_parses_with_what_it_lacks_left_unknown() -> None:
    frame = parse(Feed.ACTIONS, orjson.dumps(actions_v1()))
    assert isinstance(frame, ActionsFrame)
    assert (frame.fixture_id, frame.sequence, frame.current_period) == (FIXTURE, 1, 0)
    assert frame.team is not None
    assert (frame.team.id, frame.team.home) == (TEAM, None)  # homeTeam missing: unknown
    assert frame.clock_running is None
    assert frame.finished is False
    moment = dt.datetime(2025, 5, 30, 8, 0, 0, 1, tzinfo=dt.UTC)
    assert frame.timestamp_us == int(moment.timestamp()) * 1_000_000 + 1


@pytest.mark.parametrize(("state", "running"), [("RUNNING", True), ("Stopped", False)])
def test_the_clock_state_is_read_in_any_case(state: str, running: bool) -> None:
    frame = parse(Feed.ACTIONS, orjson.dumps(actions_v1(currentClockState=state)))
    assert isinstance(frame, ActionsFrame)
    assert frame.clock_running is running


def test_nanosecond_timestamps_are_truncated_to_microseconds() -> None:
    moment = dt.datetime(2025, 5, 30, 8, 6, 20, 93872, tzinfo=dt.UTC)
    expected = round(moment.timestamp() * 1_000_000)
    assert timestamp_us("2025-05-30T08:06:20.093872300Z") == expected
    assert timestamp_us("2025-05-30T08:06:20.093872Z") == expected
    assert timestamp_us("2025-05-30T08:06:20Z") == expected - 93872


def test_the_vendors_statistics_example_parses_with_string_home_flags() -> None:
    body = orjson.loads(EXAMPLE.read_bytes())
    body["teamActionAggregates"][0]["team"]["homeTeam"] = "true"
    body["teamActionAggregates"][1]["team"]["homeTeam"] = "false"
    frame = parse(Feed.STATISTICS, orjson.dumps(body))
    assert isinstance(frame, StatisticsFrame)
    assert (frame.sequence, frame.finished) == (272, True)
    assert [team.home for team in frame.teams] == [True, False]
    assert sorted(frame.periods) == [1, 2, 3, 4, 5]
    home_points = sum(
        a.value
        for (_, home, _, action_id, sub), a in frame.aggregates.items()
        if home and action_id == 1102 and sub is None
    )
    assert home_points == 47  # the example's documented total: 47 to 48 points


@pytest.mark.parametrize("kind", MALFORMED_KINDS)
@pytest.mark.parametrize("feed", list(Feed))
def test_every_kind_of_malformed_frame_is_refused_with_a_reason(kind: str, feed: Feed) -> None:
    good = generated(Sport.SOCCER, 7).stream(feed).frames[3].text
    with pytest.raises(BadFrame) as refused:
        parse(feed, malformed_text(good, kind).encode())
    reason = str(refused.value)
    expected = {"bad-json": "not JSON", "truncated": "not JSON", "not-an-object": "not a JSON obj"}
    wrong_type_field = "fixtureSeqNum" if feed is Feed.ACTIONS else "teamActionAggregates"
    assert expected.get(kind, wrong_type_field) in reason


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"homeTeamScore": "1"}, "fixtureSummary.homeTeamScore: expected an integer"),
        ({"currentClockState": "paused"}, "currentClockState"),
        ({"periods": {"id": 1}}, "fixtureSummary.periods: expected a list"),
        ({"currentPeriod": True}, "fixtureSummary.currentPeriod: expected an integer"),
    ],
)
def test_a_wrong_field_is_named_in_the_reason(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadFrame, match=reason):
        parse(Feed.ACTIONS, orjson.dumps(actions_v1(**change)))


def test_a_control_frame_is_not_a_data_frame() -> None:
    with pytest.raises(BadFrame, match="fixtureAction: missing"):
        parse(Feed.ACTIONS, b'{"message": "Heartbeat sent at 2025-05-30T08:00Z", "level": "INFO"}')
