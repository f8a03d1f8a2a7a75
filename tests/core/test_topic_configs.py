"""What `sportsfeed topics` alters and refuses for topics that exist, on hand-made layouts."""

from __future__ import annotations

from sportsfeed.core.topic_configs import Layout, plan

RAW = {"cleanup.policy": "delete", "retention.ms": "86400000"}


def test_a_differing_config_is_altered_and_other_overrides_are_kept() -> None:
    found = plan(
        {"p.raw.actions": RAW, "p.feed-status": {"cleanup.policy": "compact"}},
        12,
        3,
        {"p.raw.actions": Layout(12, 3), "p.feed-status": Layout(12, 3)},
        {
            "p.raw.actions": {
                "cleanup.policy": "delete",
                "retention.ms": "-1",
                "max.message.bytes": "2097152",
            },
            "p.feed-status": {"cleanup.policy": "compact"},
        },
    )
    assert found.refusals == []
    assert found.alter == {
        "p.raw.actions": {
            "cleanup.policy": "delete",
            "retention.ms": "86400000",
            "max.message.bytes": "2097152",
        }
    }
    assert found.changes == ["p.raw.actions retention.ms=-1->86400000"]


def test_a_config_left_at_the_broker_default_is_set() -> None:
    found = plan({"t": {"cleanup.policy": "compact"}}, 4, 1, {"t": Layout(4, 1)}, {"t": {}})
    assert found.alter == {"t": {"cleanup.policy": "compact"}}
    assert found.changes == ["t cleanup.policy=(default)->compact"]


def test_partitions_and_replication_that_differ_are_refused_by_name() -> None:
    found = plan(
        {"a": {}, "b": {}}, 12, 3, {"a": Layout(6, 3), "b": Layout(12, 1)}, {"a": {}, "b": {}}
    )
    assert len(found.refusals) == 2
    assert "SPORTSFEED_PARTITIONS is 12 but a has 6" in found.refusals[0]
    assert "SPORTSFEED_REPLICATION is 3 but b has 1 replicas" in found.refusals[1]
    assert found.alter == {}


def test_nothing_to_do_when_everything_matches() -> None:
    found = plan({"t": RAW}, 4, 1, {"t": Layout(4, 1)}, {"t": dict(RAW)})
    assert (found.alter, found.changes, found.refusals) == ({}, [], [])


def test_every_topic_with_another_partition_count_is_named_in_one_refusal() -> None:
    layouts = {name: Layout(4, 1) for name in ("p.raw.actions", "p.raw.statistics", "p.rejected")}
    nothing: dict[str, dict[str, str]] = {name: {} for name in layouts}
    found = plan(nothing, 8, 1, layouts, nothing)
    assert found.refusals == [
        "SPORTSFEED_PARTITIONS is 8 but p.raw.actions, p.raw.statistics, p.rejected have 4: every"
        " topic must share one partition count (co-partitioned by fixtureId) and a count cannot"
        " change under keyed data; set SPORTSFEED_PARTITIONS to match"
    ]
