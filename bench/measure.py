"""Benchmark helpers: machine facts, process CPU and memory, medians over repeats, and
readings of a process's Prometheus metrics."""

from __future__ import annotations

import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def machine_facts() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    memory = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("websockets", "aiokafka", "faust-streaming", "fastavro", "orjson")
    )
    return {
        "cpu": model[1] if model else platform.processor(),
        "cores": str(os.cpu_count()),
        "memory": f"{int(memory[1]) / 1024 / 1024:.1f} GiB" if memory else "?",
        "python": sys.version.split()[0],
        "packages": versions,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def scrape(port: int) -> str:
    """A process's metrics page (Prometheus text) on 127.0.0.1."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as answer:
        return str(answer.read().decode())


def metric_total(metrics: str, name: str) -> float:
    """The sum of a labelled metric's samples on a metrics page."""
    pattern = rf"^{re.escape(name)}{{[^}}]*}} ([0-9.e+]+)"
    return sum(float(value) for value in re.findall(pattern, metrics, re.M))


def histogram_bound(before: str, after: str, name: str, quantile: float) -> float:
    """The upper bound of the bucket of histogram `name` that holds `quantile` of what was
    observed between two scrapes (so the quantile is at most this)."""
    counts = [
        (le, n - m)
        for (le, n), (_, m) in zip(_buckets(after, name), _buckets(before, name), strict=True)
    ]
    total = counts[-1][1]
    return next(le for le, count in counts if count >= quantile * total)


def _buckets(metrics: str, name: str) -> list[tuple[float, float]]:
    pattern = rf'^{re.escape(name)}_bucket{{le="([^"]+)"}} ([0-9.e+]+)'
    return [(float(le), float(count)) for le, count in re.findall(pattern, metrics, re.M)]


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float
    rss_bytes: int


def cpu_seconds() -> float:
    """CPU time this process has used, every thread of it."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def usage(pid: int) -> Usage:
    """CPU seconds used so far and resident memory of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    return Usage(cpu, rss)


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float

    def __str__(self) -> str:
        return self.text()

    def text(self, digits: int = 1) -> str:
        return (
            f"{self.median:,.{digits}f} (min {self.low:,.{digits}f}, max {self.high:,.{digits}f})"
        )


def spread(values: list[float]) -> Spread:
    return Spread(statistics.median(values), min(values), max(values))


def spawn(
    argv: list[str], ready: str, timeout_s: float = 120.0
) -> tuple[subprocess.Popen[str], str]:
    """Start a helper process and return it with the first stdout line containing `ready`."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    for line in process.stdout:
        if ready in line:
            # keep reading, or the helper blocks once the pipe's buffer is full
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, line
        if time.monotonic() > deadline:
            break
    process.kill()
    raise RuntimeError(f"{argv[:4]} did not print {ready!r}")


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()
