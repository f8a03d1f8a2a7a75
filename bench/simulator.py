"""Benchmark: the simulator serves 1,000 live streams and 20,000 frames/s to local clients.

Each figure is beside a bare websockets server sending the same frames (bench/bare_feed.py),
measured in the same run. Run: `python -m bench.simulator`.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.measure import Spread, spawn, spread, stop, usage
from sportsfeed.core.vendor import ACCEPT, Feed
from sportsfeed.simulator.catalogue import generate_catalogue

TOKEN = "local-simulator-token"  # the simulator's default (SPORTSFEED_VENDOR_TOKEN)
SEED = 7


@dataclass(frozen=True)
class Server:
    name: str
    argv: list[str]
    ready: str
    auth: bool


def simulator(fixtures: int, multiplier: float, seed: int = SEED) -> Server:
    argv = [
        sys.executable,
        "-m",
        "sportsfeed",
        "simulate",
        "--port",
        "0",
        "--warm",
        "--fixtures",
        str(fixtures),
        "--seed",
        str(seed),
        "--multiplier",
        str(multiplier),
    ]
    return Server("simulator", argv, "simulating", auth=True)


def bare(fixtures: int, rate: float) -> Server:
    argv = [
        sys.executable,
        "-m",
        "bench.bare_feed",
        "--fixtures",
        str(fixtures),
        "--seed",
        str(SEED),
        "--rate",
        str(rate),
    ]
    return Server("bare websockets", argv, "listening", auth=False)


def _port(line: str) -> int:
    """The port in "simulating N fixtures on ws://127.0.0.1:PORT" or "listening PORT"."""
    return int(line.rsplit(":", 1)[-1]) if "ws://" in line else int(line.rsplit(maxsplit=1)[-1])


last_frame = [0.0]  # when the latest data frame arrived (monotonic)


async def _read(
    url: str, auth: bool, counts: list[int], until: float, gate: asyncio.Semaphore
) -> None:
    async with gate:  # at most so many handshakes at once
        ws = await connect(
            url,
            additional_headers={"Accept": ACCEPT},
            compression=None,
            max_size=None,
            open_timeout=60,
        )
        if auth:
            await ws.send(f'{{"authToken": "{TOKEN}"}}')
            await ws.recv()
    async with ws:
        while time.monotonic() < until:
            try:
                await asyncio.wait_for(ws.recv(), max(0.01, until - time.monotonic()))
            except (TimeoutError, ConnectionClosed):
                break
            counts[0] += 1
            last_frame[0] = time.monotonic()


def _urls(port: int, fixtures: int, feeds: list[Feed], query: str, seed: int = SEED) -> list[str]:
    catalogue = generate_catalogue(fixtures, seed)
    return [
        f"ws://127.0.0.1:{port}/{f.sport.value}/fixtures/{f.fixture_id}/{feed.value}{query}"
        for f in catalogue.values()
        for feed in feeds
    ]


async def _run_clients(urls: list[str], auth: bool, seconds: float) -> int:
    counts = [0]
    until = time.monotonic() + seconds
    gate = asyncio.Semaphore(50)
    await asyncio.gather(*(_read(url, auth, counts, until, gate) for url in urls))
    return counts[0]


def fan_out(server: Server, fixtures: int, hold_s: float) -> dict[str, float]:
    process, line = spawn(server.argv, server.ready)
    try:
        port, idle = _port(line), usage(process.pid)
        urls = _urls(port, fixtures, [Feed.ACTIONS], "")

        async def scenario() -> tuple[int, float, float, int]:
            clients = asyncio.create_task(_run_clients(urls, server.auth, hold_s + 10))
            await asyncio.sleep(10)  # connect and settle
            before, started = usage(process.pid), time.monotonic()
            await asyncio.sleep(hold_s)
            after, elapsed = usage(process.pid), time.monotonic() - started
            frames = await clients
            return (
                frames,
                (after.cpu_seconds - before.cpu_seconds) / elapsed,
                elapsed,
                after.rss_bytes,
            )

        frames, cpu, _elapsed, rss = asyncio.run(scenario())
    finally:
        stop(process)
    return {
        "streams": fixtures,
        "frames_per_s": frames / (hold_s + 10),
        "cpu_percent": 100 * cpu,
        "rss_per_stream_kb": (rss - idle.rss_bytes) / fixtures / 1024,
    }


def throughput(server: Server, fixtures: int, repeats: int) -> Spread:
    process, line = spawn(server.argv, server.ready)
    rates = []
    try:
        urls = _urls(_port(line), fixtures, list(Feed), "?speed=fast")
        for _ in range(repeats):
            started = time.monotonic()
            frames = asyncio.run(_run_clients(urls, server.auth, 120))
            rates.append(frames / (last_frame[0] - started))  # not the closing handshakes
    finally:
        stop(process)
    return spread(rates)


def main() -> None:
    fixtures, hold = 1000, 20.0
    live_sim = fan_out(simulator(fixtures, multiplier=20), fixtures, hold)
    live_bare = fan_out(bare(fixtures, rate=live_sim["frames_per_s"] / fixtures), fixtures, hold)
    print(f"fan-out, {fixtures} live streams, {hold:.0f} s held:")
    for name, figures in (("simulator", live_sim), ("bare websockets", live_bare)):
        print(
            f"  {name:<16} {figures['frames_per_s']:8,.0f} frames/s  "
            f"CPU {figures['cpu_percent']:5.1f}% of a core  "
            f"RSS {figures['rss_per_stream_kb']:6.1f} KB/stream"
        )
    fast_sim = throughput(simulator(100, 1.0), 100, 3)
    fast_bare = throughput(bare(100, 0.0), 100, 3)
    print("speed=fast, 100 fixtures x 2 feeds read at once (frames/s, median of 3):")
    print(f"  simulator        {fast_sim}")
    print(f"  bare websockets  {fast_bare}")
    print(f"  ratio simulator/bare: {fast_sim.median / fast_bare.median:.2f}")


if __name__ == "__main__":
    main()
