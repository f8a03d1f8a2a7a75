"""`sportsfeed stack`: run the local Kafka broker and Schema Registry for a person."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from sportsfeed.core.settings import ClusterSettings
from sportsfeed.stack.local import fetch_all, stack_endpoints


def register(verbs: Any) -> None:
    parser: argparse.ArgumentParser = verbs.add_parser(
        "stack",
        help="run a local Kafka broker and Schema Registry until Ctrl-C",
        description=(
            "Start Apache Kafka 4 (KRaft) and Apicurio Registry on 127.0.0.1, print where they "
            "listen, and stop both on Ctrl-C or SIGTERM. Downloads are fetched once into "
            "SPORTSFEED_CACHE_DIR; data persists in SPORTSFEED_DATA_DIR unless --temporary."
        ),
    )
    parser.add_argument(
        "--temporary", action="store_true", help="keep data in a temporary directory"
    )
    parser.add_argument(
        "--fetch-only", action="store_true", help="fetch and verify the downloads, then exit"
    )
    parser.set_defaults(verb=run)


def run(args: argparse.Namespace, settings: ClusterSettings) -> int:
    if args.fetch_only:
        kafka_libs, registry_home = fetch_all(settings)
        print(f"kafka jars: {kafka_libs}\nregistry:   {registry_home}")  # noqa: T201
        return 0
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    with stack_endpoints(settings, temporary=args.temporary) as endpoints:
        print(  # noqa: T201
            f"KAFKA_BOOTSTRAP_SERVERS={endpoints.bootstrap_servers}\n"
            f"SCHEMA_REGISTRY_URL={endpoints.registry_url}\n"
            f"broker log: {endpoints.kafka_log or 'not local'}\n"
            "running; Ctrl-C stops it",
            flush=True,
        )
        stopping.wait()
    print("stopped", flush=True)  # noqa: T201
    return 0
