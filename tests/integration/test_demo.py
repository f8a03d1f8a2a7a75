"""`sportsfeed demo`, bounded: every sport's fixtures move, and the frames are in Kafka."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from infra.stack import Endpoints
from simulator.model import Feed, Sport
from sportsfeed.cli import main
from sportsfeed.topics import Topics
from tests.integration.pipeline import read_topic


def test_demo_runs_the_pipeline_and_stops(
    stack: Endpoints, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = f"demo{uuid.uuid4().hex[:8]}."
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", stack.bootstrap_servers)
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", stack.registry_url)
    monkeypatch.setenv("SPORTSFEED_TOPIC_PREFIX", prefix)
    monkeypatch.setenv("SPORTSFEED_PARTITIONS", "2")
    assert main(["demo", "--seconds", "12", "--fixtures", "5", "--multiplier", "60"]) == 0
    shown = capsys.readouterr().out
    assert all(sport.slug in shown for sport in Sport)
    assert "stopped" in shown
    records = asyncio.run(read_topic(stack, Topics(prefix).raw(Feed.ACTIONS)))
    assert len({r.key for r in records}) == 5  # every fixture published frames
