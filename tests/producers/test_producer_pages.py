"""The producer's pages: what each answers, and that they are served by the event loop itself
(a blocked loop answers nothing, so a liveness probe restarts a hung producer)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request

from prometheus_client import CollectorRegistry, Counter

from producers.health import answer, serve
from sportsfeed.stack.processes import free_port


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    Counter("sportsfeed_producer_frames", "Frames", registry=registry).inc(3)
    return registry


def test_each_page_answers_what_it_says() -> None:
    registry = _registry()
    waiting = (False, {"LIVE": 3, "STALE": 1})
    assert answer("/health", registry, lambda: waiting)[0] == 200
    status, kind, body = answer("/ready", registry, lambda: waiting)
    assert (status, kind) == (503, "application/json")
    assert json.loads(body) == {"ready": False, "streams": {"LIVE": 3, "STALE": 1}}
    assert answer("/ready", registry, lambda: (True, {}))[0] == 200
    status, _, body = answer("/metrics", registry, lambda: waiting)
    assert status == 200
    assert b"sportsfeed_producer_frames_total 3.0" in body
    assert answer("/table/fixtures/", registry, lambda: waiting)[0] == 404


def _get(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=0.5) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return exc.code


async def test_the_pages_are_served_by_the_event_loop() -> None:
    port = free_port()
    server = await serve("127.0.0.1", port, _registry(), lambda: (False, {"CONNECTING": 1}))
    try:
        assert await asyncio.to_thread(_get, port, "/health") == 200
        assert await asyncio.to_thread(_get, port, "/ready") == 503
        answers: list[int | str] = []

        def ask_while_hung() -> None:
            time.sleep(0.2)
            try:
                answers.append(_get(port, "/health"))
            except (TimeoutError, urllib.error.URLError) as exc:
                answers.append(type(exc).__name__)

        asking = threading.Thread(target=ask_while_hung)
        asking.start()
        time.sleep(1.5)  # noqa: ASYNC251  (the point: the loop hangs; nothing answers in 0.5 s)
        asking.join()
        assert answers == ["TimeoutError"]
        assert await asyncio.to_thread(_get, port, "/health") == 200  # the loop runs again
    finally:
        server.close()
