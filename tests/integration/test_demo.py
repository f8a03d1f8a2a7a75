"""`sportsfeed demo`, bounded: every sport's fixtures move, scores show, and Kafka has them."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from sportsfeed.cli import main
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.topics import Topics
from sportsfeed.core.vendor import Feed
from tests.integration.pipeline import read_topic


def test_demo_runs_the_pipeline_and_stops(
    stack: Endpoints,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    prefix = f"demo{uuid.uuid4().hex[:8]}."
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", stack.bootstrap_servers)
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", stack.registry_url)
    monkeypatch.setenv("SPORTSFEED_TOPIC_PREFIX", prefix)
    monkeypatch.setenv("SPORTSFEED_PARTITIONS", "2")
    monkeypatch.setenv("SPORTSFEED_DATA_DIR", str(tmp_path))
    argv = ["demo", "--seconds", "25", "--fixtures", "5", "--multiplier", "60", "--prefix", prefix]
    assert main(argv) == 0  # on your servers the demo writes under --prefix, or its own
    shown = capsys.readouterr().out
    assert "sportsfeed scoreboard" in shown
    assert "stopped: scores for 5 of 5 fixtures" in shown, shown[-3000:]
    records = asyncio.run(read_topic(stack, Topics(prefix).raw(Feed.ACTIONS)))
    assert len({r.key for r in records}) == 5  # every fixture published frames
    scores = asyncio.run(read_topic(stack, Topics(prefix).fixture_score))
    assert {r.key for r in scores} == {r.key for r in records}  # and every one was scored
