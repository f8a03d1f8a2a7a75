"""Benchmark helper: a Faust agent that does nothing with the raw frames (Faust's own floor).

Run by `bench.processor`: prints "RATE <frames/s>" once it has consumed `--frames` records.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from typing import Any

import faust


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", required=True, help="raw topic prefix")
    parser.add_argument("--frames", type=int, required=True)
    args = parser.parse_args()
    app = faust.App(
        f"bench-noop-{time.time_ns()}",
        broker=f"kafka://{args.bootstrap}",
        store="memory://",
        topic_allow_declare=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        autodiscover=False,
        datadir=tempfile.mkdtemp(prefix="bench-noop-"),
    )
    source = app.topic(
        f"{args.prefix}raw.actions",
        f"{args.prefix}raw.statistics",
        key_serializer="raw",
        value_serializer="raw",
    )
    seen = [0, 0.0]

    @app.agent(source)
    async def noop(stream: Any) -> None:
        async for _event in stream.events():
            if seen[0] == 0:
                seen[1] = time.monotonic()
            seen[0] += 1
            if seen[0] >= args.frames:
                print(f"RATE {args.frames / (time.monotonic() - seen[1]):.1f}", flush=True)
                os._exit(0)

    faust.Worker(app, loglevel="WARNING").execute_from_commandline()


if __name__ == "__main__":
    main()
