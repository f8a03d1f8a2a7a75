"""A group's lag, worked by hand."""

from __future__ import annotations

from aiokafka import TopicPartition

from sportsfeed.core.topics import Topics
from sportsfeed.verbs.progress import GroupProgress, raw_partitions

A, B = TopicPartition("t", 0), TopicPartition("t", 1)


def test_lag_counts_records_not_committed_per_partition() -> None:
    progress = GroupProgress(end={A: 10, B: 4}, committed={A: 7, B: 0})
    assert (progress.total, progress.lag, progress.caught_up) == (14, 3 + 4, False)


def test_a_partition_ahead_does_not_hide_one_behind() -> None:
    # committed past the end (records deleted by retention, say) must not offset the other's lag
    progress = GroupProgress(end={A: 10, B: 4}, committed={A: 12, B: 3})
    assert (progress.lag, progress.caught_up) == (1, False)


def test_raw_partitions_cover_both_feeds() -> None:
    names = {(tp.topic, tp.partition) for tp in raw_partitions(Topics("x."), 2)}
    assert names == {
        ("x.raw.actions", 0),
        ("x.raw.actions", 1),
        ("x.raw.statistics", 0),
        ("x.raw.statistics", 1),
    }
