"""A frame too large for Kafka is reported and stood in for; its stream and the others go on."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import orjson
import pytest

from producers.app import Producer
from producers.metrics import Metrics
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.vendor import Feed
from sportsfeed.simulator.catalogue import generate_catalogue
from tests.integration.pipeline import (
    environment,
    fresh_topics,
    read_published,
    running_simulator,
    settings_from,
)

PADDING = 2_000_000  # bytes: twice the frame limit


async def test_a_2_mb_frame_mid_stream_is_reported_and_every_stream_goes_on(
    stack: Endpoints, caplog: pytest.LogCaptureFixture
) -> None:
    prefix, topics = await fresh_topics(stack)
    fixtures = generate_catalogue(3, seed=174)
    heavy = next(iter(fixtures.values()))
    frames = heavy.stream(Feed.ACTIONS).frames
    middle = len(frames) // 2
    body = orjson.loads(frames[middle].text) | {"padding": "x" * PADDING}
    frames[middle] = dataclasses.replace(frames[middle], text=orjson.dumps(body).decode())
    size = len(frames[middle].text.encode())
    caplog.set_level(logging.WARNING, logger="producers.stream")
    metrics = Metrics()
    async with running_simulator(fixtures) as simulator:
        env = environment(stack, prefix, simulator, SPORTSFEED_SPEED="fast")
        await asyncio.wait_for(Producer(settings_from(env), stack, metrics).run(), 120)

    raw = await read_published(stack, topics)
    for fixture in fixtures.values():
        for feed in Feed:
            want = [frame.text for frame in fixture.stream(feed).frames]
            got = raw[fixture.fixture_id, feed]
            assert [r.position for r in got] == list(range(1, len(want) + 1))
            if fixture is heavy and feed is Feed.ACTIONS:
                stand_in = got[middle]
                assert (stand_in.value, stand_in.headers["oversized"]) == ("", str(size).encode())
                want[middle] = ""
            assert [r.value for r in got] == want
    oversized = metrics.registry.get_sample_value(
        "sportsfeed_producer_oversized_frames_total",
        {"sport": heavy.sport.slug, "feed": Feed.ACTIONS.value},
    )
    assert oversized == 1
    stream = f"{heavy.sport.slug}/{heavy.fixture_id}/actions"
    assert f"oversized frame stream={stream} position={middle + 1} bytes={size}" in caplog.text
