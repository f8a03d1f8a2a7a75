"""Fuzzing the processor's pure core: any bytes, any JSON, and mutated real frames either parse
or raise BadFrame with a reason; whatever parses, `apply` takes without an unhandled error."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processors.derive.fixture import FixtureState, apply
from processors.frames import BadFrame, Meta, parse
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import generated

FEEDS = st.sampled_from(list(Feed))
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=25), children, max_size=6)
    ),
    max_leaves=30,
)
SAMPLES = {
    feed: [orjson.loads(f.text) for f in generated(Sport.SOCCER, 3).stream(feed).frames[:40]]
    for feed in Feed
}


def _derive_or_refuse(feed: Feed, data: bytes) -> None:
    try:
        frame = parse(feed, data)
    except BadFrame as refused:
        reason = str(refused)
    else:
        apply(FixtureState(), frame, Meta(Sport.SOCCER, 1))
        return
    assert reason  # a refusal always says why


@settings(max_examples=500, deadline=None)
@given(feed=FEEDS, data=st.binary(max_size=300))
def test_arbitrary_bytes(feed: Feed, data: bytes) -> None:
    _derive_or_refuse(feed, data)


@settings(max_examples=500, deadline=None)
@given(feed=FEEDS, value=JSON)
def test_arbitrary_json(feed: Feed, value: Any) -> None:
    _derive_or_refuse(feed, orjson.dumps(value))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feed=FEEDS, data=st.data(), replacement=JSON)
def test_real_frames_with_one_part_replaced(
    feed: Feed, data: st.DataObject, replacement: Any
) -> None:
    frame = data.draw(st.sampled_from(SAMPLES[feed]))
    path = data.draw(st.sampled_from(_paths(frame)[1:]))
    mutated = orjson.loads(orjson.dumps(frame))
    target = mutated
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = replacement
    _derive_or_refuse(feed, orjson.dumps(mutated))


def test_an_oversized_frame_is_refused_without_parsing() -> None:
    huge = b'{"seqNum": 1, "padding": "' + b"x" * (10 * 2**20) + b'"}'
    with pytest.raises(BadFrame, match=r"10,485,7\d\d bytes is over"):
        parse(Feed.STATISTICS, huge)
