"""Local stack: the broker and the registry together, or the user's own servers if configured.

`stack_endpoints(settings)` is what every command uses: with KAFKA_BOOTSTRAP_SERVERS and
SCHEMA_REGISTRY_URL set it starts nothing; otherwise it fetches (once), starts and, on exit,
stops a local Apache Kafka broker and Apicurio Registry on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import ConnectionSettings, StackSettings
from sportsfeed.stack.artifacts import fetch, unpack
from sportsfeed.stack.kafka import KAFKA_LABEL, KafkaBroker
from sportsfeed.stack.registry import REGISTRY_LABEL, SchemaRegistry

log = logging.getLogger(__name__)


def fetch_all(settings: StackSettings) -> tuple[Path, Path]:
    """The Kafka jar directory and the unpacked registry, fetched and verified once."""
    cache, repository = settings.cache_dir, settings.maven_repository
    kafka_libs = fetch("kafka", cache, KAFKA_LABEL, repository)
    registry_archive = next(fetch("registry", cache, REGISTRY_LABEL, repository).glob("*.tar.gz"))
    registry_home = unpack(registry_archive, cache / "registry-unpacked")
    return kafka_libs, registry_home


class LocalStack:
    """A local broker and registry with data in `data_dir`; a context manager."""

    def __init__(self, settings: StackSettings, data_dir: Path, partitions: int = 1) -> None:
        kafka_libs, registry_home = fetch_all(settings)
        self.broker = KafkaBroker(kafka_libs, data_dir / "kafka", partitions)
        self.registry = SchemaRegistry(registry_home, data_dir / "registry")

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(self.broker.bootstrap_servers, self.registry.url, self.broker.server_log)

    def start(self) -> Endpoints:
        try:
            self.broker.start()
            self.registry.start()
        except BaseException:
            self.stop()
            raise
        log.info(
            "local stack up kafka=%s registry=%s",
            self.broker.bootstrap_servers,
            self.registry.url,
        )
        return self.endpoints

    def stop(self) -> None:
        self.registry.stop()
        self.broker.stop()

    def __enter__(self) -> Endpoints:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


@contextlib.contextmanager
def stack_endpoints(
    settings: ConnectionSettings, *, temporary: bool = False
) -> Iterator[Endpoints]:
    """The user's servers if configured, else a local stack for the duration of the block.

    `temporary` puts the local stack's data in a directory removed afterwards (tests);
    otherwise it lives in the settings' data directory and survives restarts (the demo).
    """
    if settings.kafka_bootstrap_servers is not None and settings.schema_registry_url is not None:
        yield Endpoints(
            settings.kafka_bootstrap_servers,
            settings.schema_registry_url,
            security=settings.kafka_security,
        )
        return
    with contextlib.ExitStack() as cleanup:
        data_dir = settings.data_dir
        if temporary:
            data_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="sf-stack-")))
        yield cleanup.enter_context(LocalStack(settings, data_dir))
