"""Shared fixtures: the real local Kafka broker and Schema Registry, one per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import load_settings
from sportsfeed.stack.local import stack_endpoints


@pytest.fixture(scope="session")
def stack() -> Iterator[Endpoints]:
    """A real Apache Kafka 4 broker and Apicurio registry (or the ones the environment names)."""
    with stack_endpoints(load_settings(), temporary=True) as endpoints:
        yield endpoints
