"""period-delta: per team, period and action; absent counts 0; deltas sum to the last snapshot."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.derive.period_delta import changes
from processors.frames import Aggregate, StatisticsFrame, parse
from schemas.outputs import PERIOD_DELTA
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import generated
from sportsfeed.simulator.faults import FaultPlan
from tests.processors.streams import interleaved, run

HOME, AWAY = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"


def test_changes_count_an_absent_aggregate_as_zero_and_corrections_as_negative() -> None:
    goal, shot = (HOME, True, 1, 104, None), (AWAY, False, 2, 111, 11102)
    previous = {goal: Aggregate(2, "Goal", None)}
    current = {goal: Aggregate(1, "Goal", None), shot: Aggregate(3, "Shot", "On Target")}
    rows = changes(previous, current)
    assert [(r["teamId"], r["period"], r["actionId"], r["subActionId"]) for r in rows] == [
        (HOME, 1, 104, None),
        (AWAY, 2, 111, 11102),
    ]
    assert [(r["previous"], r["current"], r["delta"]) for r in rows] == [(2, 1, -1), (0, 3, 3)]
    assert rows[1]["subAction"] == "On Target"
    assert changes(current, {})[0]["delta"] == -1  # gone entirely: back to 0
    assert changes(current, current) == []


@settings(max_examples=25, deadline=None)
@given(sport=st.sampled_from(list(Sport)), seed=st.integers(0, 10_000))
def test_the_deltas_of_a_fixture_sum_to_its_last_snapshot(sport: Sport, seed: int) -> None:
    fixture = generated(sport, seed)
    fixture.set_faults(FaultPlan(duplicate_rate=0.1))
    deltas = run(fixture, interleaved(fixture)).of(PERIOD_DELTA)
    summed: Counter[tuple[object, ...]] = Counter()
    for record in deltas:
        for c in record["changes"]:
            assert c["delta"] == c["current"] - c["previous"]
            summed[c["teamId"], c["period"], c["actionId"], c["subActionId"]] += c["delta"]
    last = parse(Feed.STATISTICS, fixture.stream(Feed.STATISTICS).frames[-1].text.encode())
    assert isinstance(last, StatisticsFrame)
    expected = {
        (team, period, action, sub): aggregate.value
        for (team, _, period, action, sub), aggregate in last.aggregates.items()
        if aggregate.value
    }
    assert {key: value for key, value in summed.items() if value} == expected
    # One record per snapshot, each naming the one before it.
    sequences = [(r["previousSequence"], r["source"]["sequence"]) for r in deltas]
    clean = len(fixture.clean[Feed.STATISTICS])
    assert sequences == [(None, 1)] + [(n - 1, n) for n in range(2, clean + 1)]
