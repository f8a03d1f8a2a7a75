"""Existing topics against the settings: which configs `sportsfeed topics` alters, and what it
refuses because Kafka cannot change it in place (a partition count under keyed data, a
replication factor).

`plan` is pure; `describe` and `apply` talk to Kafka. Every config the topic contract declares
(`Topics.all`) is compared, so a config added to the contract is kept in step on the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from sportsfeed.core.errors import InfrastructureError

_SET_ON_THE_TOPIC = 1  # DescribeConfigs' config_source DYNAMIC_TOPIC_CONFIG: an override


@dataclass(frozen=True)
class Layout:
    partitions: int
    replication: int


@dataclass(frozen=True)
class TopicPlan:
    alter: dict[str, dict[str, str]] = field(default_factory=dict)  # topic: its overrides, all
    changes: list[str] = field(default_factory=list)  # "topic retention.ms=-1->86400000"
    refusals: list[str] = field(default_factory=list)


def plan(
    wanted: dict[str, dict[str, str]],
    partitions: int,
    replication: int,
    layouts: dict[str, Layout],
    overrides: dict[str, dict[str, str]],
) -> TopicPlan:
    """What to alter and what to refuse, for the topics that exist (those in `layouts`)."""
    result = TopicPlan()
    wrong_partitions = _grouped(layouts, lambda layout: layout.partitions, partitions)
    result.refusals.extend(
        f"SPORTSFEED_PARTITIONS is {partitions} but {held}: every topic must share one partition "
        "count (co-partitioned by fixtureId) and a count cannot change under keyed data; set "
        "SPORTSFEED_PARTITIONS to match"
        for held in wrong_partitions
    )
    wrong_replication = _grouped(layouts, lambda layout: layout.replication, replication)
    result.refusals.extend(
        f"SPORTSFEED_REPLICATION is {replication} but {held} replicas: `sportsfeed topics` "
        "cannot change a replication factor (Kafka's partition reassignment can); set "
        "SPORTSFEED_REPLICATION to match"
        for held in wrong_replication
    )
    for topic in sorted(layouts):
        current = overrides.get(topic, {})
        differing = {k: v for k, v in wanted.get(topic, {}).items() if current.get(k) != v}
        if differing:
            result.alter[topic] = {**current, **differing}  # other overrides are kept
            result.changes.extend(
                f"{topic} {k}={current.get(k, '(default)')}->{v}"
                for k, v in sorted(differing.items())
            )
    return result


def _grouped(layouts: dict[str, Layout], count: Callable[[Layout], int], wanted: int) -> list[str]:
    """'a has 6', or 'a, b have 6', for the topics whose count is not the wanted one: a
    cluster made with another count differs in every topic, which is one sentence, not nine."""
    by_count: dict[int, list[str]] = {}
    for topic, layout in sorted(layouts.items()):
        if count(layout) != wanted:
            by_count.setdefault(count(layout), []).append(topic)
    return [
        f"{', '.join(topics)} {'has' if len(topics) == 1 else 'have'} {n}"
        for n, topics in sorted(by_count.items())
    ]


async def describe(
    admin: AIOKafkaAdminClient, described: list[dict[str, Any]]
) -> tuple[dict[str, Layout], dict[str, dict[str, str]]]:
    """Partitions and replication of the described topics, and their configs set on them."""
    layouts = {
        d["topic"]: Layout(len(d["partitions"]), len(d["partitions"][0]["replicas"]))
        for d in described
        if d["error_code"] == 0 and d["partitions"]
    }
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in layouts]
    overrides: dict[str, dict[str, str]] = {name: {} for name in layouts}
    for response in await admin.describe_configs(resources) if resources else []:
        for resource in response.to_object()["resources"]:
            _raise_for(resource, "read the configs of")
            overrides[resource["resource_name"]] = {
                entry["config_names"]: entry["config_value"]
                for entry in resource["config_entries"]
                if entry.get("config_source") == _SET_ON_THE_TOPIC
            }
    return layouts, overrides


async def apply(admin: AIOKafkaAdminClient, topic_plan: TopicPlan) -> None:
    """Write each topic's overrides (AlterConfigs replaces the whole set: all are sent)."""
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, topic, configs=configs)
        for topic, configs in topic_plan.alter.items()
    ]
    for response in await admin.alter_configs(resources) if resources else []:
        for resource in response.to_object()["resources"]:
            _raise_for(resource, "alter the configs of")


def _raise_for(resource: dict[str, Any], doing: str) -> None:
    if resource["error_code"] != 0:
        raise InfrastructureError(
            f"Kafka refused to {doing} topic {resource['resource_name']} "
            f"(error {resource['error_code']}: {resource['error_message']}); check the "
            "client's ACLs (DescribeConfigs and AlterConfigs on the topics)"
        )
