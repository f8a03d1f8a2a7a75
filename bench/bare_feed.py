"""Baseline: a bare websockets server sending the simulator's frames with no protocol at all.

No Accept check, no auth, no heartbeats, no faults: what a websocket server costs by itself,
to set the simulator's figures against. `--rate R` paces each stream at R frames per second.
"""

from __future__ import annotations

import argparse
import asyncio

from websockets.asyncio.server import ServerConnection, serve

from sportsfeed.core.vendor import Feed
from sportsfeed.simulator.catalogue import generate_catalogue


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fixtures", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.0, help="frames/s per stream; 0: fast")
    args = parser.parse_args()
    catalogue = generate_catalogue(args.fixtures, args.seed)
    frames = {
        (fixture_id, feed.value): [frame.text for frame in fixture.stream(feed).frames]
        for fixture_id, fixture in catalogue.items()
        for feed in Feed
    }

    async def handler(connection: ServerConnection) -> None:
        parts = (connection.request.path if connection.request else "").split("?")[0].split("/")
        for text in frames[parts[-2], parts[-1]]:
            if args.rate:
                await asyncio.sleep(1 / args.rate)
            await connection.send(text)

    async with serve(handler, "127.0.0.1", 0, compression=None, ping_interval=None) as server:
        print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
