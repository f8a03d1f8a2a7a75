"""Baseline: a bare websockets client reading the simulator's streams and doing nothing else."""

from __future__ import annotations

import argparse
import asyncio

from bench.simulator import _run_clients, _urls
from sportsfeed.core.vendor import Feed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--fixtures", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    urls = _urls(args.port, args.fixtures, [Feed.ACTIONS], "", seed=args.seed)
    frames = asyncio.run(_run_clients(urls, auth=True, seconds=args.seconds))
    print(f"read {frames} frames")


if __name__ == "__main__":
    main()
