"""Archives: raw topics -> files -> raw topics, byte for byte; the simulator serves the files."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from producers.app import Producer
from producers.metrics import Metrics
from sportsfeed.cli import main
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed
from sportsfeed.simulator.catalogue import generate_catalogue, load_recorded
from sportsfeed.simulator.faults import FaultPlan
from tests.integration.pipeline import (
    environment,
    fresh_topics,
    read_topic,
    running_simulator,
    settings_from,
)


def test_export_import_and_serve_round_trip(
    stack: Endpoints, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixtures = generate_catalogue(5, seed=81)
    for fixture in fixtures.values():
        fixture.set_faults(FaultPlan(duplicate_rate=0.05, malformed_rate=0.05))

    async def produce() -> str:
        prefix, _ = await fresh_topics(stack)
        async with running_simulator(fixtures) as simulator:
            env = environment(
                stack, prefix, simulator, SPORTSFEED_SPEED="fast", SPORTSFEED_METRICS_PORT="0"
            )
            await Producer(settings_from(env), stack, Metrics()).run()
        return prefix

    source = asyncio.run(produce())
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", stack.bootstrap_servers)
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", stack.registry_url)
    monkeypatch.setenv("SPORTSFEED_PARTITIONS", "3")
    monkeypatch.setenv("SPORTSFEED_TOPIC_PREFIX", source)
    archive = tmp_path / "archive"
    assert main(["archive", "export", str(archive)]) == 0

    # The simulator serves the archive as the original streams, frame for frame.
    served = load_recorded(archive)
    for fixture_id, fixture in fixtures.items():
        for feed in Feed:
            original = [frame.text for frame in fixture.stream(feed).frames]
            assert [frame.text for frame in served[fixture_id].stream(feed).frames] == original

    target = f"t{uuid.uuid4().hex[:10]}."
    monkeypatch.setenv("SPORTSFEED_TOPIC_PREFIX", target)
    assert main(["archive", "import", str(archive)]) == 0
    for feed in Feed:
        before = asyncio.run(read_topic(stack, Topics(source).raw(feed)))
        after = asyncio.run(read_topic(stack, Topics(target).raw(feed)))
        assert _streams(after) == _streams(before)

    one = next(iter(fixtures))
    monkeypatch.setenv("SPORTSFEED_TOPIC_PREFIX", source)
    assert main(["archive", "export", str(tmp_path / "one"), "--fixture", one]) == 0
    assert [p.name for p in (tmp_path / "one").glob("*/*")] == [one]


def _streams(records: list[object]) -> dict[bytes, list[tuple[bytes, list[tuple[str, bytes]]]]]:
    """Per fixture, (value, headers) in order: what must survive a round trip exactly."""
    streams: dict[bytes, list[tuple[bytes, list[tuple[str, bytes]]]]] = {}
    for record in records:
        streams.setdefault(record.key, []).append((record.value, list(record.headers)))  # type: ignore[attr-defined]
    return streams
