"""The vendor token appears nowhere: not in any log line at DEBUG, any metric, any topic's keys,
values or headers, nor in any `--help`."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import httpx

from sportsfeed.cli import build_parser
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.simulator.catalogue import generate_catalogue
from sportsfeed.simulator.faults import FaultPlan
from sportsfeed.stack.processes import free_port
from tests.integration.pipeline import (
    TOKEN,
    environment,
    finish,
    fresh_topics,
    read_topic,
    running_simulator,
    spawn,
    stop,
    wait_until_consumed,
)


def _scrape(port: int, path: str = "/metrics") -> str:
    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10).text


async def test_the_token_is_in_no_log_metric_record_or_help(
    stack: Endpoints, tmp_path: Path
) -> None:
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(5, seed=91)
    for fixture in fixtures.values():
        fixture.set_faults(FaultPlan(malformed_rate=0.05, drop_after=20, faulty_connections=1))
    ports = {"producer": free_port(), "processor": free_port()}
    async with running_simulator(fixtures) as simulator:
        env = environment(
            stack,
            prefix,
            simulator,
            SPORTSFEED_SPEED="fast",
            SPORTSFEED_LOG_LEVEL="DEBUG",
            SPORTSFEED_DATA_DIR=str(tmp_path),
        )
        worker = await spawn("process", env | {"SPORTSFEED_METRICS_PORT": str(ports["processor"])})
        producer = await spawn("produce", env | {"SPORTSFEED_METRICS_PORT": str(ports["producer"])})
        producer_log = await finish(producer, 120)
        done = await wait_until_consumed(
            stack,
            topics.processor_group,
            [f"{prefix}raw.actions", f"{prefix}raw.statistics"],
            120,
            worker,
        )
        metrics = [_scrape(ports["processor"])] if done else []
    worker_log = await stop(worker, 60)
    assert done, worker_log[-3000:]
    assert "DEBUG" in producer_log  # the logs really were at DEBUG
    assert "DEBUG" in worker_log or "debug" in worker_log.lower()
    for text in (producer_log, worker_log, *metrics):
        assert TOKEN not in text

    for name in (
        *(f"{prefix}raw.{feed}" for feed in ("actions", "statistics")),
        topics.feed_status,
        topics.fixture_score,
        topics.period_delta,
        topics.fixture_finished,
        topics.rejected,
        topics.fixtures_changelog,
    ):
        for record in await read_topic(stack, name):
            blob = (record.key or b"") + (record.value or b"")
            blob += b"".join(k.encode() + v for k, v in record.headers)
            assert TOKEN.encode() not in blob, name


def test_no_help_shows_the_token() -> None:
    helps = [
        subprocess.run(
            [sys.executable, "-m", "sportsfeed", *verb, "--help"],
            env={**os.environ, "SPORTSFEED_VENDOR_TOKEN": TOKEN},
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        for verb in ([], *([name] for name in _verbs()))
    ]
    assert len(helps) > 10
    for answer in helps:
        assert answer.returncode == 0, answer.stderr
        assert TOKEN not in answer.stdout + answer.stderr


def _verbs() -> list[str]:
    """Every verb the command offers, as argparse knows them."""
    parser = build_parser()
    verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(verbs.choices)
