"""The producer's HTTP pages, served from its event loop: `/health`, `/ready` and `/metrics`.

Served by the loop that moves the frames (not a thread of its own), so `/health` answering
means the loop runs: a producer whose loop hangs stops answering and Kubernetes restarts it.
`/ready` answers 200 only while every stream the producer holds is LIVE (or finished), or it
holds none; 503 otherwise, with the count per state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)
_READ_TIMEOUT_S = 5.0
_REASONS = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}

Readiness = Callable[[], tuple[bool, dict[str, int]]]  # ready, and streams per state


def answer(path: str, registry: CollectorRegistry, readiness: Readiness) -> tuple[int, str, bytes]:
    """Status, content type and body for a GET of `path` (pure: no I/O)."""
    if path == "/health":
        return 200, "application/json", b'{"status":"ok"}'
    if path == "/ready":
        ready, states = readiness()
        body = orjson.dumps({"ready": ready, "streams": states})
        return (200 if ready else 503), "application/json", body
    if path == "/metrics":
        return 200, CONTENT_TYPE_LATEST, generate_latest(registry)
    return 404, "text/plain", b"not found\n"


async def serve(
    host: str, port: int, registry: CollectorRegistry, readiness: Readiness
) -> asyncio.Server:
    """Start serving on host:port from the running loop."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _READ_TIMEOUT_S)
            method, path, *_ = request.split(b"\r\n", 1)[0].decode("latin-1").split()
            status, kind, body = (
                answer(path.split("?", 1)[0], registry, readiness)
                if method in {"GET", "HEAD"}
                else (404, "text/plain", b"not found\n")
            )
            head = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {kind}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + (body if method == "GET" else b""))
            await writer.drain()
        except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError) as exc:
            log.debug("health request dropped reason=%s", type(exc).__name__)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    return await asyncio.start_server(handle, host, port)
