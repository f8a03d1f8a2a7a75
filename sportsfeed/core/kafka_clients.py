"""Kafka clients: where Kafka and the Schema Registry answer, and how a client is configured.

Every process builds its aiokafka clients from an `Endpoints` (`endpoints.kafka(...)`), so the
servers and the security options come from one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.partitioner import DefaultPartitioner, murmur2

from sportsfeed.core.kafka_security import KafkaSecurity


@dataclass(frozen=True)
class Endpoints:
    """Where Kafka and the Schema Registry answer, and how to log in to Kafka."""

    bootstrap_servers: str
    registry_url: str
    kafka_log: Path | None = None  # the local broker's log; None for the user's own cluster
    security: KafkaSecurity = field(default_factory=KafkaSecurity)

    def kafka(self, **options: Any) -> dict[str, Any]:
        """Keyword arguments for an aiokafka client of this cluster, plus `options`."""
        return {
            "bootstrap_servers": self.bootstrap_servers,
            **self.security.client_options(),
            **options,
        }


def partition_of(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives `key` among `partitions`."""
    hashed: int = murmur2(key)
    return (hashed & 0x7FFFFFFF) % partitions


class KeyPartitioner:
    """Kafka's default partitioning (murmur2 of the key), remembered per key.

    aiokafka computes murmur2 in pure Python on every send; a producer sends many frames for
    few keys (fixtures), so the answer is cached. Same partitions as every Kafka client.
    """

    def __init__(self) -> None:
        self._default = DefaultPartitioner()
        self._known: dict[tuple[bytes, int], int] = {}

    def __call__(self, key: bytes, all_partitions: list[int], available: list[int]) -> int:
        found = self._known.get((key, len(all_partitions)))
        if found is None:
            found = self._default(key, all_partitions, available)
            self._known[key, len(all_partitions)] = found
        return found
