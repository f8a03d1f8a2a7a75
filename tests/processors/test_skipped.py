"""The offsets a fetch skipped (transaction markers), learned from the consumer's positions."""

from __future__ import annotations

from types import SimpleNamespace

from aiokafka import TopicPartition

from processors.skipped import Learner, Markers

RAW = TopicPartition("sportsfeed.raw.actions", 0)
CHANGELOG = TopicPartition("sportsfeed.processor-fixtures-changelog", 0)


class _State:
    """A partition's position, as aiokafka keeps it."""

    def __init__(self, position: int | None) -> None:
        self.position = position

    @property
    def has_valid_position(self) -> bool:
        return self.position is not None

    def seek(self, offset: int) -> None:
        self.position = offset


class _Consumer:
    """An aiokafka consumer's subscription: an assignment of states, sought through it."""

    def __init__(self) -> None:
        self._subscription = SimpleNamespace(seek=self._seek, _assigned_state=self._state)
        self.assign({RAW: 0, CHANGELOG: 0})

    def assign(self, positions: dict[TopicPartition, int]) -> None:
        states = {tp: _State(offset) for tp, offset in positions.items()}
        self._subscription.subscription = SimpleNamespace(
            assignment=SimpleNamespace(tps=set(states), state_value=states.__getitem__)
        )

    def _state(self, tp: TopicPartition) -> _State:
        return self._subscription.subscription.assignment.state_value(tp)  # type: ignore[no-any-return]

    def _seek(self, tp: TopicPartition, offset: int) -> None:
        self._state(tp).seek(offset)

    def fetch(self, learner: Learner, tp: TopicPartition, offsets: list[int], to: int) -> None:
        """A fetch handing over `offsets` of `tp` and moving its position to `to`."""
        self._state(tp).position = to
        learner.fetched(self, {tp: [SimpleNamespace(offset=n) for n in offsets]})


def _learning() -> tuple[_Consumer, Learner, Markers]:
    consumer, markers = _Consumer(), Markers()
    learner = Learner(markers, lambda topic: ".raw." in topic)
    learner.watch(consumer)
    learner.fetched(consumer, {})  # the first look at the positions
    return consumer, learner, markers


def _known(markers: Markers, tp: TopicPartition = RAW) -> list[int]:
    return sorted(markers.between(tp.topic, tp.partition, 0, 1000))


def test_offsets_a_fetch_passed_without_a_record_are_markers() -> None:
    consumer, learner, markers = _learning()
    consumer.fetch(learner, RAW, [0, 1, 2, 4, 5], 7)  # 3 between records, 6 after the last
    consumer.fetch(learner, RAW, [], 8)  # a fetch of a marker alone (its commit came later)
    consumer.fetch(learner, RAW, [9], 10)
    assert _known(markers) == [3, 6, 7, 8]
    assert markers.cover(RAW.topic, 0, 6, 9)
    assert not markers.cover(RAW.topic, 0, 5, 7)


def test_a_seek_is_where_the_next_fetch_starts() -> None:
    consumer, learner, markers = _learning()
    consumer.fetch(learner, RAW, [0, 1], 2)
    consumer._subscription.seek(RAW, 10)  # records 2-9 never handed over: not markers
    consumer.fetch(learner, RAW, [12], 13)
    assert _known(markers) == [10, 11]
    consumer._subscription.seek(RAW, 1)  # back, and forward again over what was learned
    consumer.fetch(learner, RAW, [1, 2, 3], 4)
    assert _known(markers) == [10, 11]


def test_a_new_assignment_forgets_the_positions() -> None:
    consumer, learner, markers = _learning()
    consumer.fetch(learner, RAW, [0], 1)
    consumer.assign({RAW: 50})  # another worker processed 1-49 meanwhile
    consumer.fetch(learner, RAW, [50], 51)
    consumer.fetch(learner, RAW, [52], 53)
    assert _known(markers) == [51]


def test_only_the_partitions_asked_for() -> None:
    consumer, learner, markers = _learning()
    consumer.fetch(learner, CHANGELOG, [2], 3)
    assert _known(markers, CHANGELOG) == []


def test_commits_forget_the_markers_below_them() -> None:
    markers = Markers()
    markers.add(RAW.topic, 0, [3, 8, 12])
    markers.forget_below(RAW.topic, 0, 9)
    assert _known(markers) == [12]
