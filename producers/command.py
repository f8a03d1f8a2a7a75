"""`sportsfeed produce` and `sportsfeed topics`: vendor websockets to the raw Kafka topics."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import Any

from producers.app import Producer, configured_fixtures
from producers.health import serve
from producers.metrics import Metrics
from sportsfeed.core.admin import ensure_topics
from sportsfeed.core.errors import SettingsError
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import Settings
from sportsfeed.core.topics import Topics
from sportsfeed.metrics_port import PRODUCER_METRICS_PORT, claim_metrics_port
from sportsfeed.stack.local import stack_endpoints

log = logging.getLogger(__name__)


def register(verbs: Any) -> None:
    produce = verbs.add_parser(
        "produce",
        help="stream vendor websockets into the raw topics",
        description=(
            "Hold one websocket per fixture and feed (SPORTSFEED_FIXTURES, SPORTSFEED_FIXTURES_"
            "FILE, or SPORTSFEED_DISCOVERY_URL) and publish every data frame, byte for byte and "
            "keyed by fixtureId, to the raw topics; report each stream's state on feed-status. "
            "Resumes where Kafka says after a reconnect or a restart. SIGTERM drains and exits."
        ),
    )
    produce.set_defaults(verb=run_produce)
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
        "--check", action="store_true",
        help="change nothing; exit non-zero naming every difference (a missing topic included)",
    )  # fmt: skip
    topics.set_defaults(verb=run_topics)


def run_topics(args: argparse.Namespace, settings: Settings) -> int:
    with stack_endpoints(settings) as endpoints:
        counts = asyncio.run(_topics(settings, endpoints, check_only=args.check))
    for name, partitions in sorted(counts.items()):
        print(f"{name}: {partitions} partitions")  # noqa: T201
    return 0


async def _topics(
    settings: Settings, endpoints: Endpoints, *, check_only: bool = False
) -> dict[str, int]:
    return await ensure_topics(endpoints, Topics(settings.topic_prefix),
                               settings.partitions, settings.replication,
                               settings.raw_retention_ms, check_only=check_only)  # fmt: skip


def run_produce(_args: argparse.Namespace, settings: Settings) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per registry call is noise
    # a bad fixture list, or none at all, ends here, before any connection
    if not configured_fixtures(settings) and settings.discovery_url is None:
        raise SettingsError(
            "nothing to stream: set SPORTSFEED_FIXTURES (sport:fixtureId,...), "
            "SPORTSFEED_FIXTURES_FILE, or SPORTSFEED_DISCOVERY_URL to discover live fixtures"
        )
    settings = claim_metrics_port(settings, PRODUCER_METRICS_PORT)
    metrics = Metrics()
    with stack_endpoints(settings) as endpoints:
        asyncio.run(_produce(settings, endpoints, metrics))
    return 0


async def _produce(settings: Settings, endpoints: Endpoints, metrics: Metrics) -> None:
    log.info("producer starting kafka=%s", endpoints.bootstrap_servers)
    producer = Producer(settings, endpoints, metrics)
    pages = None
    if settings.metrics_port:  # from this loop: /health answering means the loop runs
        pages = await serve(settings.metrics_host, settings.metrics_port, metrics.registry,
                            producer.readiness)  # fmt: skip
    try:
        await _topics(settings, endpoints)
        log.info("topics checked")
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, producer.stop)
        await producer.run()
    finally:
        if pages is not None:
            pages.close()
