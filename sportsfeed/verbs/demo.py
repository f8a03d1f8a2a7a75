"""`sportsfeed demo`: the whole local pipeline in one command, with a live view.

Starts (or uses) Kafka and the registry, creates the topics, serves a dozen simulated fixtures
of all five sports at an accelerated pace, runs the producer into the raw topics and a processor
worker deriving the scores, and shows the scoreboard as the scores move. Ctrl-C (or --seconds)
stops everything; the worker's log is in the data directory.

On your own servers (KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL set) it writes under the
prefix sportsfeed-demo. unless --prefix names another, never into your production topics.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import start_http_server
from rich.console import Console

from producers.app import Producer
from producers.metrics import Metrics
from sportsfeed.core.admin import ensure_topics
from sportsfeed.core.errors import InfrastructureError
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.log_noise import output_only
from sportsfeed.core.settings import Settings
from sportsfeed.core.topics import Topics
from sportsfeed.simulator.catalogue import generate_catalogue
from sportsfeed.simulator.server import FeedSimulator, ServerOptions
from sportsfeed.stack.local import stack_endpoints
from sportsfeed.stack.processes import free_port
from sportsfeed.stack.prometheus import PROCESSOR_JOB, PRODUCER_JOB, RULES, local_prometheus
from sportsfeed.verbs.arguments import (
    non_negative_float,
    positive_float,
    positive_int,
    topic_prefix,
)
from sportsfeed.verbs.process import spawn_worker, stop_worker
from sportsfeed.verbs.scoreboard import Follower, follow_live

DEMO_PREFIX = "sportsfeed-demo."


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "demo",
        help="run the local pipeline on simulated matches, with a live view",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--fixtures", type=positive_int, default=12, help="simulated fixtures")
    parser.add_argument(
        "--multiplier", type=positive_float, default=30.0, help="match time speed-up"
    )
    parser.add_argument(
        "--seconds", type=non_negative_float, default=0.0, help="stop after N s (0: Ctrl-C)"
    )
    parser.add_argument(
        "--prefix",
        type=topic_prefix,
        help="topic prefix to write under (default: SPORTSFEED_TOPIC_PREFIX on the local stack, "
        f"{DEMO_PREFIX} on your own servers)",
    )
    parser.add_argument(
        "--prometheus",
        action="store_true",
        help="also run a local Prometheus (Debian's `prometheus`, `make "
        "prometheus`) scraping the demo, with the alert rules",
    )
    parser.set_defaults(verb=run)


def demo_prefix(args: argparse.Namespace, settings: Settings) -> str:
    """Where the demo writes: --prefix, else its own prefix on your servers, else the setting."""
    if args.prefix:
        return str(args.prefix)
    return DEMO_PREFIX if settings.uses_external_stack else settings.topic_prefix


def run(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings.model_copy(update={"topic_prefix": demo_prefix(args, settings)})
    with output_only(settings), stack_endpoints(settings) as endpoints:
        return asyncio.run(_demo(settings, endpoints, args))


async def _demo(settings: Settings, endpoints: Endpoints, args: argparse.Namespace) -> int:
    topics = Topics(settings.topic_prefix)
    await ensure_topics(
        endpoints, topics, settings.partitions, settings.replication, settings.raw_retention_ms
    )
    ports = {PRODUCER_JOB: free_port(), PROCESSOR_JOB: free_port()}
    prometheus = contextlib.ExitStack()  # started first: it may be missing, and then nothing ran
    if args.prometheus:
        prometheus.enter_context(_prometheus(ports, settings.data_dir / "prometheus"))
    fixtures = generate_catalogue(args.fixtures, seed=int(time.time()))  # new matches each run
    token = settings.vendor_token.get_secret_value()
    options = ServerOptions(tokens=frozenset({token}), multiplier=args.multiplier, heartbeat_s=5)
    simulator = FeedSimulator(fixtures, options)
    await simulator.start()
    listed = tuple((f.sport, f.fixture_id) for f in fixtures.values())  # typed: a copy is unchecked
    producer_settings = settings.model_copy(
        update={
            "feed_url": f"ws://127.0.0.1:{simulator.port}",
            "fixtures": listed,
            "fixtures_file": None,
            "discovery_url": None,
            "metrics_port": 0,
        }
    )
    metrics = Metrics()
    server, _ = start_http_server(ports[PRODUCER_JOB], "127.0.0.1", registry=metrics.registry)
    producer = Producer(producer_settings, endpoints, metrics)
    producing = asyncio.create_task(producer.run())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    worker_log = settings.data_dir / "processor.log"
    with worker_log.open("ab") as log:
        worker = spawn_worker(
            endpoints,
            log,
            SPORTSFEED_TOPIC_PREFIX=settings.topic_prefix,
            SPORTSFEED_METRICS_PORT=str(ports[PROCESSOR_JOB]),
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    console = Console()
    console.print(
        f"kafka {endpoints.bootstrap_servers}, registry {endpoints.registry_url}, "
        f"topics {settings.topic_prefix}*, simulator ws://127.0.0.1:{simulator.port}; "
        "Ctrl-C stops"
    )
    for job, port in ports.items():
        console.print(f"{job.removeprefix('sportsfeed-')} metrics http://127.0.0.1:{port}/metrics")
    deadline = time.monotonic() + args.seconds if args.seconds else float("inf")
    follower = Follower(endpoints, topics, only=frozenset(fixtures))

    def done() -> bool:
        ended = worker.returncode is not None or producing.done()
        return ended or stop.is_set() or time.monotonic() > deadline

    try:
        async with follower:
            await follow_live(follower, console, done)
    finally:
        died_early = worker.returncode is not None
        producer.stop()
        try:
            await asyncio.wait_for(producing, 60)  # raises what ended the producer early
        finally:
            await stop_worker(worker, settings.shutdown_grace_s)
            await simulator.stop()
            prometheus.close()
            server.shutdown()
            server.server_close()
    _summary(console, follower, len(fixtures), settings.topic_prefix)
    _check_worker(worker.returncode, died_early, worker_log)
    return 0


def _check_worker(code: int | None, died_early: bool, log: Path) -> None:
    """A worker that crashed ends with its exception (not 0), even once it is told to stop."""
    if code != 0:
        when = "early" if died_early else "when stopped"
        raise InfrastructureError(
            f"the processor worker exited {when} with code {code}; its log is {log}"
        )


def _summary(console: Console, follower: Follower, fixtures: int, prefix: str) -> None:
    rows = follower.board.rows.values()
    scored, finished = sum(row.score != "-" for row in rows), sum(row.finished for row in rows)
    console.print()
    console.print(
        f"stopped: scores for {scored} of {fixtures} fixtures, {finished} finished; "
        f"try `SPORTSFEED_TOPIC_PREFIX={prefix} sportsfeed tail "
        "fixture-score --limit 3`"
    )


@contextlib.contextmanager
def _prometheus(ports: dict[str, int], directory: Path) -> Iterator[None]:
    """A local Prometheus scraping the demo's processes, with the alert rules if at hand."""
    targets = {job: [f"127.0.0.1:{port}"] for job, port in ports.items()}
    rules = [RULES] if RULES.exists() else []  # the chart's file: there in a checkout
    with local_prometheus(targets, directory, rules) as url:
        Console().print(f"prometheus {url} (graphs at {url}/graph, alerts at {url}/alerts)")
        yield
