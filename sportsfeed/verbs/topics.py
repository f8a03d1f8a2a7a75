"""`sportsfeed topics`: create every topic with one partition count, or check them."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from sportsfeed.core.admin import ensure_topics
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import ClusterSettings
from sportsfeed.core.topics import Topics
from sportsfeed.stack.local import stack_endpoints


def register(verbs: Any) -> None:
    topics = verbs.add_parser(
        "topics",
        help="create every sportsfeed topic (one partition count), or check them",
        description=(
            "Create the missing topics under SPORTSFEED_TOPIC_PREFIX with SPORTSFEED_PARTITIONS "
            "partitions and alter the configs of existing ones that differ from "
            "the settings (retention, cleanup policy); refuse, naming it, a partition count or "
            "replication factor that differs (Kafka cannot change those in place)."
        ),
    )
    topics.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit non-zero naming every difference (a missing topic included)",
    )
    topics.set_defaults(verb=run_topics)


def run_topics(args: argparse.Namespace, settings: ClusterSettings) -> int:
    with stack_endpoints(settings) as endpoints:
        counts = asyncio.run(ensure_configured_topics(settings, endpoints, check_only=args.check))
    for name, partitions in sorted(counts.items()):
        print(f"{name}: {partitions} partitions")  # noqa: T201
    return 0


async def ensure_configured_topics(
    settings: ClusterSettings, endpoints: Endpoints, *, check_only: bool = False
) -> dict[str, int]:
    """Every topic under the settings' prefix, created or altered (only checked if asked)."""
    return await ensure_topics(
        endpoints,
        Topics(settings.topic_prefix),
        settings.partitions,
        settings.replication,
        settings.raw_retention_ms,
        check_only=check_only,
    )
