"""Discovery polls over a kept-alive HTTP/1.1 connection: neither side may lose a poll.

The simulator closes its connection after each REST answer and must say so; a vendor's load
balancer may close an idle connection without saying so, and the producer's poll must then
be sent again on a fresh connection. Both are polled many times, quickly, as a long run would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial

import httpx
import orjson
import pytest

from producers.app import _live_fixtures
from sportsfeed.core.vendor import Sport
from sportsfeed.simulator.catalogue import generate_catalogue
from sportsfeed.simulator.server import FeedSimulator, ServerOptions

TOKEN = "test-token"
POLLS = 150  # at the producer's pace this is 12 minutes of polling every 5 s; here a few seconds


@pytest.fixture
async def simulator() -> AsyncIterator[FeedSimulator]:
    server = FeedSimulator(generate_catalogue(5, seed=5), ServerOptions(tokens=frozenset({TOKEN})))
    await server.start()
    yield server
    await server.stop()


async def test_a_keep_alive_client_polling_the_simulator_never_fails(
    simulator: FeedSimulator,
) -> None:
    failures, closing = 0, 0
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{simulator.port}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    ) as client:
        for poll in range(POLLS):
            try:
                answer = await client.get("/soccer/fixtures", params={"page": 0, "size": 100})
                answer.raise_for_status()
                # it closes the connection after answering, so HTTP/1.1 has it say so (RFC 9112
                # 9.6); unsaid, a busy server's close races the client's next request
                closing += answer.headers.get("Connection") == "close"
            except httpx.HTTPError:
                failures += 1
            await asyncio.sleep(0.002 * (poll % 5))  # back to back, and after short pauses
    assert failures == 0
    assert closing == POLLS


async def _load_balancer(
    handlers: set[asyncio.Task[None]], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Answers one request as if keeping the connection alive, then closes it unread.

    The close comes a moment later, so the client's next request is already on its way: the
    case a poll meets when a load balancer's idle timeout strikes as it sends.
    """
    task = asyncio.current_task()
    assert task is not None
    handlers.add(task)  # awaited before the test ends, so no connection outlives the loop
    await reader.readuntil(b"\r\n\r\n")
    body = orjson.dumps([{"id": "0d5c8a36-0000-4000-8000-000000000001"}])
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    await writer.drain()
    await asyncio.sleep(0.02)
    writer.close()
    await writer.wait_closed()


async def test_a_poll_survives_a_connection_closed_without_notice() -> None:
    handlers: set[asyncio.Task[None]] = set()
    server = await asyncio.start_server(partial(_load_balancer, handlers), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    found = 0
    async with server, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        for _ in range(POLLS // 3):
            found += len(await _live_fixtures(client, Sport.SOCCER))  # sent before the close
        await asyncio.gather(*handlers)  # every connection closed before the loop is
    assert found == POLLS // 3  # each poll found the one fixture: none was lost
