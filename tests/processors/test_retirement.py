"""Retirement: finished fixtures' states shrink a TTL after they finished, per partition."""

from __future__ import annotations

from processors.derive.fixture import FixtureState, decode_state, encode_state
from processors.frames import Aggregate, TeamRef
from processors.retirement import Retirements

# Keys whose partitions (of 4) follow from the murmur2 hashes in Kafka's own tests
# (UtilsTest.testMurmur2: "21" -973932308, "foobar" -790332482, "abc" 479470107,
# "a-little-bit-longer-string" -1486304829), positive-masked, modulo 4.
P0, P2, P3, P3_TOO = b"21", b"foobar", b"abc", b"a-little-bit-longer-string"


def test_a_key_s_partition_is_kafka_s_default_partitioner_s() -> None:
    keys = (P0, P2, P3, P3_TOO)
    assert [Retirements(60, partitions=4).partition_of(key) for key in keys] == [0, 2, 3, 3]
    assert [Retirements(60, partitions=3).partition_of(key) for key in keys] == [0, 0, 0, 2]


def test_a_fixture_is_due_a_ttl_after_it_finished_in_its_own_partition() -> None:
    retirements = Retirements(ttl_s=600, partitions=4)
    retirements.add(P3, now=100)
    retirements.add(P2, now=120)
    retirements.add(P3_TOO, now=150)
    assert retirements.take_due(3, now=699.9) == []
    assert retirements.take_due(3, now=700) == [P3]
    assert retirements.take_due(3, now=749) == []
    assert retirements.take_due(0, now=10_000) == []  # nothing finished there
    assert retirements.take_due(3, now=10_000) == [P3_TOO]  # P2 is not partition 3's
    assert retirements.take_due(2, now=720) == [P2]
    assert retirements.take_due(2, now=10_000) == []  # taken once


def _finished(retired: bool = False) -> FixtureState:
    return FixtureState(
        actions_sequence=7,
        statistics_sequence=3,
        home=TeamRef("t1", "Home", True),
        score_digest="d1",
        snapshot={("t1", True, 1, 12, None): Aggregate(2, "goal", None)},
        finished_at_us=5_000,
        retired=retired,
    )


# what still drops the late repeats of `_finished()`, worked out from the fields above
SHRUNK = FixtureState(
    actions_sequence=7, statistics_sequence=3, score_digest="d1", finished_at_us=5_000, retired=True
)


def test_after_a_start_each_partition_s_finished_fixtures_retire_a_ttl_later() -> None:
    table = {
        P3: encode_state(_finished()),
        P3_TOO: encode_state(_finished(retired=True)),  # shrunk already
        P0: encode_state(_finished()),
        P2: encode_state(FixtureState(actions_sequence=4)),  # not finished
    }
    retirements = Retirements(ttl_s=60, partitions=4)
    assert retirements.retired(3, table, set(), now=1_000) == []  # found, due at 1060
    assert retirements.retired(3, table, set(), now=1_059) == []
    [(key, state)] = retirements.retired(3, table, set(), now=1_060)
    assert (key, decode_state(state)) == (P3, SHRUNK)
    assert retirements.retired(0, table, set(), now=1_060) == []  # partition 0: found now
    assert [key for key, _ in retirements.retired(0, table, set(), now=1_120)] == [P0]
    assert retirements.retired(2, table, set(), now=99_999) == []


def test_a_fixture_whose_newer_state_awaits_storing_is_not_retired() -> None:
    table = {P2: encode_state(_finished())}
    retirements = Retirements(ttl_s=60, partitions=4, scanned={2})
    retirements.add(P2, now=0)
    assert retirements.retired(2, table, {P2}, now=60) == []
    assert retirements.retired(2, {}, set(), now=60) == []  # and a state gone is none to shrink
