"""`python -m bench.market`: from a fault to SUSPENDED as a consumer sees it, against the lease.

A broker of its own (it is stopped), the local stack's registry, simulated fixtures at live
pace, a producer, one worker, and `examples/pricing_consumer.py` as the consumer. Each repeat
kills the producer (SIGKILL) and restarts it, stops it (SIGTERM) and restarts it, and stops the
broker for 20 s; before each fault every fixture is OPEN. A fault's figure is the time from the
fault until the consumer has printed SUSPEND for every fixture (its slowest fixture).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.measure import Spread, spread, stop
from bench.processor import PROCESS, _worker_env
from bench.producer import PRODUCE, producer_env, running_simulator
from sportsfeed.core.admin import ensure_topics
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.settings import load_settings
from sportsfeed.core.topics import Topics
from sportsfeed.stack.kafka import KafkaBroker
from sportsfeed.stack.local import fetch_all, stack_endpoints

EXAMPLE = Path(__file__).parents[1] / "examples" / "pricing_consumer.py"
FIXTURES = 5
LEASE_S = 3.0
OUTAGE_S = 20.0
FAULTS = ("producer kill -9", "producer SIGTERM", "broker stopped")


class ConsumerLines:
    """The example's decisions, each with when (monotonic) it was printed."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(EXAMPLE)], env=env, stdout=subprocess.PIPE, text=True
        )
        self.lines: list[tuple[float, str, str]] = []  # when, decision, fixture
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            words = line.split()
            if len(words) >= 2 and words[0] in {"OPEN", "SUSPEND"}:
                self.lines.append((time.monotonic(), words[0], words[1]))

    def every_open(self, fixtures: set[str]) -> bool:
        latest = {fixture: decision for _, decision, fixture in self.lines}
        return set(latest) >= fixtures and all(latest[f] == "OPEN" for f in fixtures)

    def all_suspended_after(self, since: float, fixtures: set[str]) -> float | None:
        first: dict[str, float] = {}
        for at, decision, fixture in self.lines:
            if at >= since and decision == "SUSPEND" and fixture in fixtures:
                first.setdefault(fixture, at - since)
        return max(first.values()) if set(first) == fixtures else None


def wait(condition: Callable[[], object], timeout_s: float, what: str) -> object:
    deadline = time.monotonic() + timeout_s
    while not (found := condition()):
        if time.monotonic() > deadline:
            raise SystemExit(f"bench.market: {what} not within {timeout_s:.0f} s")
        time.sleep(0.05)
    return found


@contextmanager
def private_broker() -> Iterator[KafkaBroker]:
    kafka_libs, _ = fetch_all(load_settings())
    with tempfile.TemporaryDirectory(prefix="sportsfeed-bench-market-") as folder:
        broker = KafkaBroker(kafka_libs, Path(folder), partitions=4)
        broker.start()
        try:
            yield broker
        finally:
            broker.stop()


def fail_safe(registry_url: str, repeats: int) -> dict[str, Spread]:
    import asyncio  # noqa: PLC0415 (only to create the topics)

    found: dict[str, list[float]] = {fault: [] for fault in FAULTS}
    with private_broker() as broker, running_simulator(FIXTURES, multiplier=9) as port:
        stack = Endpoints(broker.bootstrap_servers, registry_url)
        prefix = f"bench-market-{os.getpid()}."
        asyncio.run(ensure_topics(stack, Topics(prefix), 4, 1, -1))
        env = producer_env(
            stack,
            prefix,
            port,
            FIXTURES,
            SPORTSFEED_LEASE_S=str(LEASE_S),
            SPORTSFEED_METRICS_PORT="0",
        )
        fixtures = {pair.split(":")[1] for pair in env["SPORTSFEED_FIXTURES"].split(",")}
        worker = subprocess.Popen(PROCESS, env=_worker_env(stack, prefix, prefix))
        producer = subprocess.Popen(PRODUCE, env=env, stderr=subprocess.DEVNULL)
        consumer = ConsumerLines({**env, "SPORTSFEED_TOPIC_PREFIX": prefix})
        try:
            for _ in range(repeats):
                for fault in FAULTS:
                    wait(lambda: consumer.every_open(fixtures), 120, f"OPEN before {fault}")
                    at = time.monotonic()
                    _inflict(fault, producer, broker)
                    found[fault].append(_suspended(consumer, at, fixtures, fault))
                    if producer.poll() is not None:
                        producer = subprocess.Popen(PRODUCE, env=env, stderr=subprocess.DEVNULL)
        finally:
            for process in (consumer.process, producer, worker):
                stop(process)  # type: ignore[arg-type]  # text or not, it is only stopped
    return {fault: spread(values) for fault, values in found.items()}


def _suspended(consumer: ConsumerLines, since: float, fixtures: set[str], fault: str) -> float:
    deadline = time.monotonic() + 60
    while (seen := consumer.all_suspended_after(since, fixtures)) is None:
        if time.monotonic() > deadline:
            raise SystemExit(f"bench.market: no suspension within 60 s of {fault}")
        time.sleep(0.05)
    return seen


def _inflict(fault: str, producer: subprocess.Popen[bytes], broker: KafkaBroker) -> None:
    """The fault (a stopped producer is restarted by the caller once measured)."""
    if fault == "broker stopped":
        broker.stop()
        time.sleep(OUTAGE_S)
        broker.start()
        return
    producer.send_signal(signal.SIGKILL if fault == "producer kill -9" else signal.SIGTERM)
    producer.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.market", description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with stack_endpoints(load_settings(), temporary=True) as stack:
        found = fail_safe(stack.registry_url, args.repeats)
    for fault, figure in found.items():
        met = "met" if figure.high <= LEASE_S + 1 else "**missed**"
        print(
            f"| {fault}: fault to every fixture SUSPENDED at a consumer, s "
            f"| {figure} | the lease: {LEASE_S:g} | | max <= lease + 1 s: {met} |"
        )


if __name__ == "__main__":
    main()
