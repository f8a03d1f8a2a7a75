"""The market-state rule: hand-worked cases of `observe` and `step`, and a simulated penalty."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from fastavro.validation import validate

from processors.derive.fixture import FixtureState, decode_state, encode_state
from processors.derive.market_state import (
    Frames,
    Liveness,
    Market,
    MatchFacts,
    Reason,
    Tick,
    observe,
    step,
)
from processors.frames import ActionsFrame, parse
from schemas.serde import parsed_schema
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import generated
from tests.processors.streams import penalty_window

FIXTURE = "5d9ab1f0-3a52-4d8e-9d0c-2e8f9a7b6c11"
SECOND = 1_000_000
SOURCE = {"feed": "ACTIONS", "sequence": 7, "position": 7, "timestamp": 1}


def frame(action_id: str, action_type: int, send_type: int = 5, **summary: Any) -> ActionsFrame:
    return ActionsFrame(
        fixture_id=FIXTURE,
        sequence=1,
        timestamp_us=0,
        team=None,
        home_score=0,
        away_score=0,
        current_period=1,
        status=summary.get("status", "Live"),
        clock=None,
        clock_running=None,
        finished=False,
        periods=(),
        action_id=action_id,
        action_type=action_type,
        send_type=send_type,
        collection_status=summary.get("collection"),
    )


def facts_after(*frames: ActionsFrame) -> MatchFacts:
    facts = MatchFacts()
    for each in frames:
        facts = observe(facts, each)
    return facts


def test_a_pending_goal_is_open_until_its_own_decision() -> None:
    pending = facts_after(frame("goal", 104, send_type=1))
    assert pending.open_decisions == (("pending", "goal"),)
    assert observe(pending, frame("throw", 113)).open_decisions == (("pending", "goal"),)
    assert observe(pending, frame("goal", 104, send_type=3)).open_decisions == ()  # cancelled
    assert observe(pending, frame("goal", 104, send_type=5)).open_decisions == ()  # confirmed
    # a period ends with the goal still undecided: the decision is still to come
    assert observe(pending, frame("end", 7)).open_decisions == (("pending", "goal"),)


def test_a_penalty_awarded_is_open_until_taken_then_the_kick_until_decided() -> None:
    awarded = facts_after(frame("pen", 106))
    assert awarded.open_decisions == (("penalty", "pen"),)
    assert observe(awarded, frame("throw", 113)).open_decisions == (("penalty", "pen"),)
    kicked = observe(awarded, frame("kick", 104, send_type=1))
    assert kicked.open_decisions == (("pending", "kick"),)
    assert observe(kicked, frame("kick", 104, send_type=5)).open_decisions == ()
    assert observe(awarded, frame("miss", 131)).open_decisions == ()
    assert observe(awarded, frame("end", 7)).open_decisions == ()


def test_a_video_check_is_open_until_the_next_frame_of_another_action() -> None:
    check = facts_after(frame("goal", 104), frame("var", 51))
    assert check.open_decisions == (("video-check", "var"),)
    assert observe(check, frame("goal", 104, send_type=4)).open_decisions == ()  # deleted


def test_the_vendors_status_suspends_and_resumes() -> None:
    assert facts_after(frame("a", 113, status="Suspended")).suspended == "Suspended"
    assert facts_after(frame("a", 113, collection="CollectionDropped")).suspended == (
        "CollectionDropped"
    )
    assert facts_after(frame("a", 113, status="Suspended"), frame("b", 113)).suspended is None


def test_facts_survive_the_table() -> None:
    facts = MatchFacts((("penalty", "pen"),), "Suspended")
    assert decode_state(encode_state(FixtureState(facts=facts))).facts == facts


def live(at: int, lease_s: int = 3, states: tuple[str, ...] = ("LIVE", "LIVE")) -> Liveness:
    return Liveness("producer-a", at, at + lease_s * SECOND, states)


def test_open_while_the_lease_runs_then_producer_silent_on_the_tick_after_it() -> None:
    t = 100 * SECOND
    market, out = step(Market(FIXTURE), live(t), t)
    assert [(r["state"], r["reasons"], r["validUntil"]) for r in out] == [
        ("OPEN", [], t + 3 * SECOND)
    ]
    market, out = step(market, Tick(), t + 2 * SECOND)
    assert out == []  # nothing changed: the lease still runs
    market, out = step(market, Tick(), t + 3 * SECOND)
    assert [(r["state"], r["reasons"]) for r in out] == [("SUSPENDED", ["PRODUCER_SILENT"])]
    market, out = step(market, Tick(), t + 4 * SECOND)
    assert out == []  # written once
    market, out = step(market, live(t + 10 * SECOND), t + 10 * SECOND)
    assert [(r["state"], r["validUntil"]) for r in out] == [("OPEN", t + 13 * SECOND)]


def test_every_renewal_of_an_open_lease_is_written() -> None:
    t = 100 * SECOND
    market, _ = step(Market(FIXTURE), live(t), t)
    market, out = step(market, live(t + SECOND), t + SECOND)
    assert [(r["state"], r["validUntil"]) for r in out] == [("OPEN", t + 4 * SECOND)]


def test_reasons_add_up_and_resumption_needs_all_of_them_cleared() -> None:
    t = 100 * SECOND
    pending = Frames(facts_after(frame("goal", 104, send_type=1)), False, SOURCE)
    market, out = step(Market(FIXTURE), pending, t)
    assert out[0]["reasons"] == ["PRODUCER_SILENT", "FEED_NOT_LIVE", "PENDING_DECISION"]
    market, out = step(market, live(t, states=("LIVE", "STALE")), t)
    assert out[0]["reasons"] == ["FEED_NOT_LIVE", "PENDING_DECISION"]
    market, out = step(market, live(t + SECOND), t + SECOND)
    assert (out[0]["state"], out[0]["reasons"]) == ("SUSPENDED", ["PENDING_DECISION"])
    decided = Frames(observe(pending.facts, frame("goal", 104)), False, SOURCE)
    market, out = step(market, decided, t + SECOND)
    assert (out[0]["state"], out[0]["reasons"], out[0]["source"]) == ("OPEN", [], SOURCE)


def test_a_clean_stop_suspends_at_once() -> None:
    t = 100 * SECOND
    market, _ = step(Market(FIXTURE), live(t), t)
    released = Liveness("producer-a", t + SECOND, t + SECOND, ("DOWN", "DOWN"))
    _, out = step(market, released, t + SECOND)
    assert out[0]["reasons"] == ["PRODUCER_SILENT", "FEED_NOT_LIVE"]


def test_finished_is_final_and_alone() -> None:
    t = 100 * SECOND
    market, _ = step(Market(FIXTURE), live(t), t)
    market, out = step(market, Frames(MatchFacts(), True, SOURCE), t)
    assert out[0]["reasons"] == ["FINISHED"]
    _, out = step(market, Tick(), t + 60 * SECOND)
    assert out == []


def test_a_worker_that_has_not_heard_the_producer_waits_a_lease_before_writing() -> None:
    t = 100 * SECOND
    market = Market(FIXTURE, quiet_until_us=t + 3 * SECOND)
    market, out = step(market, Frames(MatchFacts(), False, SOURCE), t)
    assert out == []
    market, out = step(market, Tick(), t + 3 * SECOND)
    assert out[0]["reasons"] == ["PRODUCER_SILENT", "FEED_NOT_LIVE"]


def test_records_match_the_schema() -> None:
    t = 100 * SECOND
    market, opened = step(Market(FIXTURE), live(t), t)
    _, suspended = step(market, Frames(MatchFacts(), True, SOURCE), t)
    for record in opened + suspended:
        assert validate(record, parsed_schema("market_state"), raise_errors=True)
    # UNKNOWN is the enum's default, a stand-in for readers of an older schema: never decided.
    assert {r.value for r in Reason} | {"UNKNOWN"} == set(
        parsed_schema("market_state")["fields"][2]["type"]["items"]["symbols"]
    )


def test_a_simulated_penalty_suspends_from_the_award_to_the_decision() -> None:
    """Soccer, seed 0: the simulator's match awards a penalty (its 83rd action), the kick is
    sent Pending and then Confirmed; the truth is the match's own list of actions."""
    fixture = generated(Sport.SOCCER, 0)
    awarded, decided = penalty_window(fixture)
    frames = fixture.stream(Feed.ACTIONS).frames
    expected = [awarded <= sequence < decided for sequence in range(1, len(frames) + 1)]
    facts, pending = MatchFacts(), []
    for rendered in frames:
        parsed = parse(Feed.ACTIONS, rendered.text.encode())
        assert isinstance(parsed, ActionsFrame)
        facts = observe(facts, parsed)
        pending.append(bool(facts.open_decisions))
    assert pending == expected


def test_a_stale_market_is_replaced_not_mutated() -> None:
    market = Market(FIXTURE)
    after, _ = step(market, live(0), 0)
    assert market.state is None
    assert replace(after, state=None, reasons=(), valid_until_us=0, liveness=None) == market


def test_liveness_reads_a_feed_status_record_as_avro_readers_give_it() -> None:
    emitted = dt.datetime(2026, 11, 28, 17, 0, tzinfo=dt.UTC)
    record = {
        "producerId": "p-1",
        "emittedAt": emitted,
        "validUntil": emitted + dt.timedelta(seconds=3),
        "feeds": [{"state": "LIVE"}, {"state": "STALE"}],
    }
    epoch_us = 1_795_885_200 * SECOND  # 2026-11-28 17:00 UTC
    assert Liveness.of(record) == Liveness(
        "p-1", epoch_us, epoch_us + 3 * SECOND, ("LIVE", "STALE")
    )
    older = {"emittedAt": emitted, "feeds": [{"state": "LIVE"}]}  # a producer without the lease
    assert Liveness.of(older).valid_until_us is None
