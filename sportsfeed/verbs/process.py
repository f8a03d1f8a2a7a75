"""`sportsfeed process`: the Faust worker that derives the Avro topics from the raw topics."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import threading
from typing import IO, Any, NoReturn

import faust

from processors.agents import build_app, state_dir
from processors.market import writes_market_state
from processors.metrics import Metrics
from schemas.outputs import DERIVED, MARKET_STATE
from schemas.registration import writers
from sportsfeed.core.admin import cluster_id, ensure_topics
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import ProcessorSettings
from sportsfeed.core.topics import Topics
from sportsfeed.stack.local import stack_endpoints
from sportsfeed.stack.processes import Child, free_port
from sportsfeed.verbs.metrics_port import PROCESSOR_METRICS_PORT, claim_metrics_port

log = logging.getLogger(__name__)
EXIT_STUCK = 3


def register(verbs: Any) -> None:
    process = verbs.add_parser(
        "process",
        help="derive fixture-score, period-delta, fixture-finished and market-state",
        description=(
            "Run one Faust worker: consume the raw topics, keep each fixture's state in a table "
            "(SPORTSFEED_STORE), write the Avro topics keyed by fixtureId and dead-letter what "
            "cannot be read to the rejected topic. Health at /health and /ready, Prometheus at "
            "/metrics on SPORTSFEED_METRICS_HOST:SPORTSFEED_METRICS_PORT. Run more workers to "
            "share the partitions. SIGTERM stops it within SPORTSFEED_SHUTDOWN_GRACE_S."
        ),
    )
    process.set_defaults(verb=run_process)


def run_process(_args: argparse.Namespace, settings: ProcessorSettings) -> NoReturn:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = claim_metrics_port(settings, PROCESSOR_METRICS_PORT)
    with stack_endpoints(settings) as endpoints:
        topics = Topics(settings.topic_prefix)
        for prefix in {settings.topic_prefix, settings.raw_prefix}:
            asyncio.run(
                ensure_topics(
                    endpoints,
                    Topics(prefix),
                    settings.partitions,
                    settings.replication,
                    settings.raw_retention_ms,
                )
            )
        written = DERIVED + ((MARKET_STATE,) if writes_market_state(settings) else ())
        # registered once, here, before Faust's event loop starts
        codecs = asyncio.run(writers(endpoints.registry_url, topics, written))
        log.info(
            "processor starting kafka=%s store=%s", endpoints.bootstrap_servers, settings.store
        )
        settings = _state_of_this_cluster(settings, asyncio.run(cluster_id(endpoints)))
        state_dir(settings).mkdir(parents=True, exist_ok=True)
        app = build_app(settings, endpoints, codecs, Metrics())
        BoundedWorker(
            app, settings.shutdown_grace_s, loglevel=settings.log_level, override_logging=False
        ).execute_from_commandline()


def _state_of_this_cluster(settings: ProcessorSettings, cluster: str) -> ProcessorSettings:
    """Settings whose data directory is this cluster's own.

    Local state restored against another cluster (a fresh local stack at the same address)
    holds offsets that cluster never had, and Faust stops with a ConsistencyError; the
    topic prefix separates state within one cluster (`state_dir` names the consumer group).
    """
    return settings.model_copy(update={"data_dir": settings.data_dir / "clusters" / cluster})


class BoundedWorker(faust.Worker):
    """A Faust worker whose shutdown cannot hang: past the grace period the process ends."""

    def __init__(self, app: faust.App, grace_s: float, **kwargs: Any) -> None:
        self._grace_s = grace_s
        super().__init__(app, **kwargs)

    def _on_sigterm(self) -> None:
        self._deadline()
        super()._on_sigterm()

    def _on_sigint(self) -> None:
        self._deadline()
        super()._on_sigint()

    def _deadline(self) -> None:
        def end() -> None:
            log.error("shutdown took longer than %.0f s; exiting", self._grace_s)
            os._exit(EXIT_STUCK)

        timer = threading.Timer(self._grace_s, end)
        timer.daemon = True
        timer.start()


def spawn_worker(endpoints: Endpoints, output: IO[bytes] | int, **settings: str) -> Child:
    """`sportsfeed process` as a child against `endpoints`, on a free metrics port.

    `settings` are further SPORTSFEED_* variables (e.g. SPORTSFEED_TOPIC_PREFIX); the child's
    output goes to `output` (a file or DEVNULL).
    """
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": endpoints.bootstrap_servers,
        "SCHEMA_REGISTRY_URL": endpoints.registry_url,
        "SPORTSFEED_METRICS_PORT": str(free_port()),
        **settings,
    }
    return Child([sys.executable, "-m", "sportsfeed", "process"], output, env=env)


async def stop_worker(worker: Child, grace_s: float) -> None:
    """SIGTERM a worker; past its grace period (and a margin), SIGKILL it."""
    await worker.stopped(grace_s + 5)
