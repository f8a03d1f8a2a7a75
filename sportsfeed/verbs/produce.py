"""`sportsfeed produce`: vendor websockets to the raw Kafka topics."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import Any

from producers.app import Producer
from producers.health import serve
from producers.metrics import Metrics
from sportsfeed.core.errors import SettingsError
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import ProducerSettings
from sportsfeed.stack.local import stack_endpoints
from sportsfeed.verbs.metrics_port import PRODUCER_METRICS_PORT, claim_metrics_port
from sportsfeed.verbs.topics import ensure_configured_topics

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


def run_produce(_args: argparse.Namespace, settings: ProducerSettings) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per registry call is noise
    # a bad fixture list stopped at load; none at all ends here, before any connection
    if not settings.configured_fixtures and settings.discovery_url is None:
        raise SettingsError(
            "nothing to stream: set SPORTSFEED_FIXTURES (sport:fixtureId,...), "
            "SPORTSFEED_FIXTURES_FILE, or SPORTSFEED_DISCOVERY_URL to discover live fixtures"
        )
    settings = claim_metrics_port(settings, PRODUCER_METRICS_PORT)
    metrics = Metrics()
    with stack_endpoints(settings) as endpoints:
        asyncio.run(_produce(settings, endpoints, metrics))
    return 0


async def _produce(settings: ProducerSettings, endpoints: Endpoints, metrics: Metrics) -> None:
    log.info("producer starting kafka=%s", endpoints.bootstrap_servers)
    producer = Producer(settings, endpoints, metrics)
    pages = None
    if settings.metrics_port:  # from this loop: /health answering means the loop runs
        pages = await serve(
            settings.metrics_host, settings.metrics_port, metrics.registry, producer.readiness
        )
    try:
        await ensure_configured_topics(settings, endpoints)
        log.info("topics checked")
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, producer.stop)
        await producer.run()
    finally:
        if pages is not None:
            pages.close()
