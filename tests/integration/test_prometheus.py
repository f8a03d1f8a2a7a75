"""A real Prometheus (Debian's binary, on 127.0.0.1) scraping the local pipeline: the simulator,
`sportsfeed produce` and `sportsfeed process` as the README runs them. Every dashboard query and
every metric the alert rules read returns series from the real processes, every rule evaluates
without error, dead letters fire their alert, and stopping the producer fires the feed alert
within its `for:` window (shortened in the test's copy of the rules). `sportsfeed demo
--prometheus` prints where its metrics are and runs a Prometheus that scrapes both processes."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from monitoring.queries import alert_rules, metric_names, panel_queries
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.vendor import Sport
from sportsfeed.simulator.catalogue import SimFixture, generate_catalogue
from sportsfeed.simulator.faults import FaultPlan
from sportsfeed.stack.processes import free_port
from sportsfeed.stack.prometheus import PROCESSOR_JOB, PRODUCER_JOB, RULES, local_prometheus
from tests.integration.pipeline import environment, fresh_topics, running_simulator, spawn, stop

INTERVAL_S = 0.5  # scrapes and rule evaluations
FEED_ALERT_FOR_S = 6  # SportsfeedFeedNotLive's window in the test's copy of the rules
RATE_INTERVAL = "5s"  # what Grafana puts for $__rate_interval, ten scrapes here


def _fixtures() -> dict[str, SimFixture]:
    """Long matches (they stay LIVE through the test) with a few malformed frames."""
    fixtures = generate_catalogue(3, seed=22, sports=[Sport.SOCCER, Sport.BASKETBALL])
    for fixture in fixtures.values():
        fixture.set_faults(FaultPlan(malformed_rate=0.05))
    return fixtures


def _rules_with_a_short_feed_window(directory: Path) -> Path:
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule["alert"] == "SportsfeedFeedNotLive":
                rule["for"] = f"{FEED_ALERT_FOR_S}s"
    path = directory / "rules.yaml"
    path.write_text(yaml.safe_dump(rules))
    return path


class Api:
    """Prometheus' HTTP API at `url` (closed with the test's event loop)."""

    def __init__(self, url: str) -> None:
        self._client = httpx.AsyncClient(base_url=f"{url}/api/v1", timeout=10)

    async def close(self) -> None:
        await self._client.aclose()

    async def query(self, expr: str) -> list[dict[str, Any]]:
        answer = (await self._client.get("/query", params={"query": expr})).json()
        assert answer["status"] == "success", (expr, answer)
        return list(answer["data"]["result"])

    async def rules(self) -> list[dict[str, Any]]:
        groups = (await self._client.get("/rules")).json()["data"]["groups"]
        return [rule for group in groups for rule in group["rules"]]

    async def alert_states(self, name: str) -> list[str]:
        """States of the alert's instances: pending or firing (none: inactive)."""
        alerts = (await self._client.get("/alerts")).json()["data"]["alerts"]
        return [a["state"] for a in alerts if a["labels"]["alertname"] == name]


async def _until(check: Callable[[], Awaitable[Any]], timeout_s: float) -> Any:
    """Poll the coroutine function `check` until it returns something true; that value."""
    deadline = time.monotonic() + timeout_s
    while True:
        if found := await check():
            return found
        assert time.monotonic() < deadline, f"not within {timeout_s} s: {check.__doc__}"
        await asyncio.sleep(INTERVAL_S)


Query = tuple[str, frozenset[str]]  # PromQL, and the jobs whose series it must return


def _queries() -> dict[str, Query]:
    """Every query a panel or an alert rule runs: panels' as Grafana sends them (any series),
    and for the rules each metric they read, from the jobs that must expose it (an alert's own
    expression is meant to be empty when all is well; Prometheus evaluating it without error
    is checked through the rules' health)."""
    queries: dict[str, Query] = {}
    for title, exprs in panel_queries().items():
        for expr in exprs:
            queries[f"panel {title}: {expr}"] = (
                expr.replace("$__rate_interval", RATE_INTERVAL),
                frozenset(),
            )
    for rule in alert_rules():
        for name in metric_names(rule["expr"]):
            queries[f"alert {rule['alert']}: {name}"] = (
                f"count by (job) ({name})",
                _jobs_exposing(name),
            )
    return queries


def _jobs_exposing(name: str) -> frozenset[str]:
    """The jobs that export metric `name`: its own process's (by the name's prefix), or both."""
    for job in (PRODUCER_JOB, PROCESSOR_JOB):
        if name.startswith(job.replace("-", "_") + "_"):
            return frozenset({job})
    return frozenset({PRODUCER_JOB, PROCESSOR_JOB})


async def test_prometheus_sees_the_pipeline_and_the_feed_alert_fires(
    stack: Endpoints, tmp_path: Path
) -> None:
    prefix, _ = await fresh_topics(stack)
    ports = {PRODUCER_JOB: free_port(), PROCESSOR_JOB: free_port()}
    targets = {job: [f"127.0.0.1:{port}"] for job, port in ports.items()}
    rules = _rules_with_a_short_feed_window(tmp_path)
    with local_prometheus(targets, tmp_path / "prometheus", [rules], INTERVAL_S) as url:
        api = Api(url)
        async with running_simulator(_fixtures(), multiplier=10) as simulator:
            env = environment(stack, prefix, simulator, SPORTSFEED_DATA_DIR=str(tmp_path))
            producer = await spawn(
                "produce", env | {"SPORTSFEED_METRICS_PORT": str(ports[PRODUCER_JOB])}
            )
            worker = await spawn(
                "process", env | {"SPORTSFEED_METRICS_PORT": str(ports[PROCESSOR_JOB])}
            )
            try:
                await _prometheus_sees_everything(api)
                await _stopping_the_producer_fires_the_feed_alert(api, producer)
            finally:
                await api.close()
                await stop(producer, 60)
                await stop(worker, 60)


async def _prometheus_sees_everything(api: Api) -> None:
    pending = _queries()

    async def every_query_returns_series() -> bool:
        """every panel's query and every metric of the alert rules returns series"""
        for description, (expr, jobs) in list(pending.items()):
            series = await api.query(expr)
            if series and jobs <= {s["metric"].get("job") for s in series}:
                del pending[description]
        return not pending

    try:
        await _until(every_query_returns_series, 120)
    except AssertionError:
        raise AssertionError(f"no series for: {sorted(pending)}") from None
    for rule in await api.rules():
        assert (rule["health"], rule.get("lastError", "")) == ("ok", ""), rule

    async def dead_letters_fire() -> bool:
        """the malformed frames' dead letters fire SportsfeedDeadLetters"""
        return "firing" in await api.alert_states("SportsfeedDeadLetters")

    await _until(dead_letters_fire, 30)


async def _stopping_the_producer_fires_the_feed_alert(api: Api, producer: Any) -> None:
    async def feeds_live() -> bool:
        """every stream LIVE and SportsfeedFeedNotLive inactive"""
        states = await api.query(f'sportsfeed_producer_streams_in_state{{job="{PRODUCER_JOB}"}}')
        live = all(s["value"][1] == "0" for s in states if s["metric"]["state"] != "LIVE")
        return bool(states) and live and not await api.alert_states("SportsfeedFeedNotLive")

    await _until(feeds_live, 30)
    stopped_at = time.monotonic()
    await stop(producer, 60)
    exited_at = time.monotonic()  # a SIGTERMed producer drains first: its scrapes still answer

    async def feed_alert_fires() -> bool:
        """SportsfeedFeedNotLive fires"""
        return "firing" in await api.alert_states("SportsfeedFeedNotLive")

    await _until(feed_alert_fires, FEED_ALERT_FOR_S + 20)
    fired_at = time.monotonic()
    # pending from the first failed scrape (at the latest), firing once the window has passed
    assert fired_at - stopped_at >= FEED_ALERT_FOR_S
    assert fired_at - exited_at <= FEED_ALERT_FOR_S + 4 * INTERVAL_S + 2, fired_at - exited_at


async def test_the_demo_prints_its_metrics_and_runs_prometheus(
    stack: Endpoints, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
        "SCHEMA_REGISTRY_URL": stack.registry_url,
        "SPORTSFEED_PARTITIONS": "2",
        "SPORTSFEED_TOPIC_PREFIX": f"demo{uuid.uuid4().hex[:8]}.",
        "SPORTSFEED_DATA_DIR": str(tmp_path),
    }
    demo = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sportsfeed",
        "demo",
        "--prometheus",
        "--fixtures",
        "3",
        "--seconds",
        "90",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert demo.stdout is not None
    shown: list[str] = []
    reading = asyncio.create_task(_read_lines(demo.stdout, shown))
    try:

        async def both_addresses_shown() -> tuple[str, ...] | None:
            """the demo prints Prometheus' address and both processes' metrics"""
            text = "".join(shown)
            names = ("prometheus", "producer metrics", "processor metrics")
            found = [
                re.search(rf"{name}\s+(http://127\.0\.0\.1:\d+[\w/]*)", text) for name in names
            ]
            return tuple(m.group(1) for m in found if m) if all(found) else None

        prometheus, producer, processor = await _until(both_addresses_shown, 60)
        api = Api(prometheus)

        async def both_jobs_up() -> bool:
            """Prometheus scrapes the demo's producer and worker"""
            up = await api.query("up == 1")
            return {s["metric"]["job"] for s in up} == {PRODUCER_JOB, PROCESSOR_JOB}

        try:
            await _until(both_jobs_up, 60)
            assert {r["name"] for r in await api.rules()} == {r["alert"] for r in alert_rules()}
        finally:
            await api.close()
        async with httpx.AsyncClient() as client:
            assert "sportsfeed_producer_frames_total" in (await client.get(producer)).text
            assert "sportsfeed_processor_frames_total" in (await client.get(processor)).text
    finally:
        demo.send_signal(signal.SIGINT)
        await asyncio.wait_for(demo.wait(), 90)
        await reading
    assert demo.returncode == 0, "".join(shown)[-3000:]


async def _read_lines(stream: asyncio.StreamReader, into: list[str]) -> None:
    """Drain a child's output (a full pipe would block it)."""
    while line := await stream.readline():
        into.append(line.decode(errors="replace"))
