"""Writers register, readers look up: against a local HTTP registry that records every request.

The registry here is an in-process stand-in speaking the Confluent API's few calls (the real
one is exercised by tests/integration/test_serde.py); what is checked is which calls each
side makes, and that a writer registering from a running event loop leaves it running.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from schemas.contract import contract_text
from schemas.outputs import FEED_STATUS
from schemas.registration import writer
from schemas.serde import AvroReader, AvroWriter, Registry
from sportsfeed.core.topics import Topics
from sportsfeed.verbs.tail import decode_value

SCHEMA_ID = 7
STATUS = {
    "fixtureId": "1bd00469-86fa-4f0b-abcc-30cbef80dacc",
    "sport": "SOCCER",
    "channel": "BETTING",
    "changed": "ACTIONS",
    "feeds": [],
    "emittedAt": 5,
}


@dataclass
class FakeRegistry:
    url: str
    delay_s: float = 0.0
    requests: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    fake = FakeRegistry("")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            fake.requests.append((self.command, self.path))
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(fake.delay_s)
            code, body = route(self.command, self.path)
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = _answer  # noqa: N815 (the names http.server calls)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


def route(method: str, path: str) -> tuple[int, object]:
    if method == "PUT" and path.startswith("/config/"):
        return 200, {"compatibility": "BACKWARD"}
    if method == "POST" and path.endswith("/versions"):
        return 200, {"id": SCHEMA_ID}
    if method == "POST" and path.startswith("/subjects/"):
        return 404, {"error_code": 40403, "message": "Schema not found"}  # not yet registered
    if method == "GET" and path == f"/schemas/ids/{SCHEMA_ID}":
        return 200, {"schema": contract_text(FEED_STATUS.schema)}
    return 404, {"error_code": 40401, "message": "not found"}


def test_a_writer_registers_with_backward_compatibility_and_encodes_under_that_id(
    registry: FakeRegistry,
) -> None:
    made = asyncio.run(writer(registry.url, Topics("t."), FEED_STATUS))
    assert made.topic == "t.feed-status"
    assert made.schema_id == SCHEMA_ID
    assert made.encode(STATUS)[:5] == b"\x00\x00\x00\x00\x07"
    assert ("PUT", "/config/t.feed-status-value") in registry.requests
    assert ("POST", "/subjects/t.feed-status-value/versions") in registry.requests


def test_registering_leaves_the_event_loop_running(registry: FakeRegistry) -> None:
    """The producer registers from its running loop, which serves its health page meanwhile."""
    registry.delay_s = 0.3  # a slow registry: each of the three calls takes this long

    async def registering_while_ticking() -> int:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        ticker = asyncio.create_task(tick())
        await writer(registry.url, Topics("t."), FEED_STATUS)
        ticker.cancel()
        return ticks

    assert asyncio.run(registering_while_ticking()) >= 6  # about 18 in 0.9 s; 0 if blocked


def test_readers_only_look_schemas_up_by_id(registry: FakeRegistry) -> None:
    """What the scoreboard, tail and the processor's liveness reader do: no registering, no
    subject configuration; one lookup of an unknown id, none after."""
    value = AvroWriter(FEED_STATUS, "t.feed-status", SCHEMA_ID).encode(STATUS)
    shared = Registry(registry.url)
    read = [
        AvroReader(FEED_STATUS, "t.feed-status", shared).decode(value),
        shared.read(value),
        decode_value(value, shared),
    ]
    assert all(record["sport"] == "SOCCER" for record in read)  # type: ignore[index]
    assert registry.requests == [("GET", f"/schemas/ids/{SCHEMA_ID}")]
