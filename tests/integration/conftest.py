"""Every test in this folder talks to the real broker and registry."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from sportsfeed.core.settings import load_settings
from sportsfeed.stack.kafka import KafkaBroker
from sportsfeed.stack.local import fetch_all


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    """A broker of the test's own, which the test may stop and start again."""
    kafka_libs, _ = fetch_all(load_settings())
    broker = KafkaBroker(kafka_libs, tmp_path / "kafka", partitions=3)
    broker.start()
    yield broker
    broker.stop()
