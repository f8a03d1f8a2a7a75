"""A producer remembers finished streams for a while, then forgets them, oldest first."""

from __future__ import annotations

from producers.protocol import StreamId
from producers.status import Finished, FixtureStatus, State, count_states
from sportsfeed.core.vendor import Channel, Feed, Sport

A = StreamId("a", Sport.SOCCER, Feed.ACTIONS)
B = StreamId("b", Sport.SOCCER, Feed.STATISTICS)
C = StreamId("c", Sport.BASKETBALL, Feed.ACTIONS)


def test_forgets_each_stream_ttl_after_it_finished() -> None:
    finished = Finished(ttl_s=10)
    finished.add(A, now=100)
    finished.add(B, now=105)
    assert finished.forget(now=109.9) == []
    assert finished.forget(now=110) == [A]  # 10 s after it finished
    assert A not in finished
    assert B in finished
    finished.add(C, now=111)
    assert finished.forget(now=121) == [B, C]
    assert finished.forget(now=500) == []


def test_finishing_again_restarts_the_clock() -> None:
    finished = Finished(ttl_s=10)
    finished.add(A, now=100)
    finished.add(B, now=101)
    finished.add(A, now=102)  # forgotten-and-rediscovered streams finish again
    assert finished.forget(now=111) == [B]
    assert finished.forget(now=112) == [A]


def test_counts_streams_per_state() -> None:
    one, two = FixtureStatus(Channel.BETTING), FixtureStatus(Channel.BETTING)
    one.acknowledge(A, 3, 7, now_us=1)  # a new stream starts CONNECTING
    one.enter(StreamId("a", Sport.SOCCER, Feed.STATISTICS), State.LIVE, now_us=2)
    two.enter(C, State.FINISHED, now_us=3)
    two.enter(StreamId("c", Sport.BASKETBALL, Feed.STATISTICS), State.FINISHED, now_us=3)
    assert count_states([one, two]) == {State.CONNECTING: 1, State.LIVE: 1, State.FINISHED: 2}
