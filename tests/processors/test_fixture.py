"""The fixture step: repeats and stale frames dropped, replays change nothing, state survives."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.derive.fixture import decode_state, encode_state, retire
from schemas.outputs import FIXTURE_FINISHED
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import generated
from sportsfeed.simulator.faults import FaultPlan
from tests.processors.streams import Run, interleaved, run

SPORTS = st.sampled_from(list(Sport))


@settings(max_examples=20, deadline=None)
@given(sport=SPORTS, seed=st.integers(0, 10_000))
def test_repeats_are_dropped_and_malformed_frames_dead_lettered_one_each(
    sport: Sport, seed: int
) -> None:
    fixture = generated(sport, seed)
    fixture.set_faults(FaultPlan(duplicate_rate=0.1, malformed_rate=0.05))
    truth = fixture.truth()
    result = run(fixture, interleaved(fixture))
    assert result.repeats == sum(len(v) for v in truth["duplicates"].values())
    assert len(result.dead_letters) == sum(len(v) for v in truth["malformed"].values())
    clean = generated(sport, seed)
    # The same records as a clean stream's; only the positions moved by what was injected.
    assert _unplaced(result.outputs) == _unplaced(run(clean, interleaved(clean)).outputs)


def _unplaced(outputs: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (kind, record | {"source": record["source"] | {"position": 0}}) for kind, record in outputs
    ]


@settings(max_examples=20, deadline=None)
@given(sport=SPORTS, seed=st.integers(0, 10_000), cut=st.floats(0, 1))
def test_replaying_any_prefix_again_changes_nothing(sport: Sport, seed: int, cut: float) -> None:
    fixture = generated(sport, seed)
    frames = interleaved(fixture)
    prefix = frames[: int(len(frames) * cut)]
    once = run(fixture, frames)
    replayed = run(fixture, prefix, into=Run(state=once.state))
    assert replayed.outputs == []
    assert replayed.repeats == len(prefix)
    # ...and resuming mid-way after a replayed prefix gives the same records as one clean pass.
    first = run(fixture, prefix)
    resumed = run(fixture, prefix + frames[len(prefix) :], into=first)
    assert resumed.outputs == once.outputs


@settings(max_examples=20, deadline=None)
@given(sport=SPORTS, seed=st.integers(0, 10_000), cut=st.floats(0, 1))
def test_state_survives_its_table_encoding(sport: Sport, seed: int, cut: float) -> None:
    fixture = generated(sport, seed)
    frames = interleaved(fixture)
    state = run(fixture, frames[: int(len(frames) * cut)]).state
    assert decode_state(encode_state(state)) == state


def test_a_retired_fixture_still_drops_late_repeats_and_never_finishes_twice() -> None:
    fixture = generated(Sport.BASKETBALL, 11)
    frames = interleaved(fixture)
    done = run(fixture, frames)
    late = run(fixture, frames, into=Run(state=retire(done.state)))
    assert (late.outputs, late.repeats) == ([], len(frames))
    assert len(done.of(FIXTURE_FINISHED)) == 1
    assert len(encode_state(retire(done.state))) < len(encode_state(done.state)) / 10
    assert done.state.actions_sequence == len(fixture.stream(Feed.ACTIONS).frames)
