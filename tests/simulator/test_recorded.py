"""Recorded fixtures: written as JSON Lines, read back, and served byte for byte."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from websockets.asyncio.client import connect

from sportsfeed.cli import main
from sportsfeed.core.vendor import ACCEPT, Feed, Sport
from sportsfeed.simulator.catalogue import generated, load_recorded, write_recorded
from sportsfeed.simulator.server import FeedSimulator, ServerOptions


@pytest.mark.parametrize("compress", [False, True])
async def test_recorded_fixture_is_served_byte_for_byte(tmp_path: Path, compress: bool) -> None:
    original = generated(Sport.SOCCER, 21)
    write_recorded(original, tmp_path, compress=compress)
    (recorded,) = load_recorded(tmp_path).values()
    assert (recorded.fixture_id, recorded.sport) == (original.fixture_id, Sport.SOCCER)
    assert (recorded.home, recorded.away) == (original.home, original.away)

    server = FeedSimulator(
        {recorded.fixture_id: recorded}, ServerOptions(tokens=frozenset({"t"}), close_after_s=0.05)
    )
    await server.start()
    try:
        for feed in Feed:
            url = (
                f"ws://127.0.0.1:{server.port}/soccer/fixtures/{recorded.fixture_id}/"
                f"{feed.value}?speed=fast"
            )
            async with connect(url, additional_headers={"Accept": ACCEPT}) as ws:
                await ws.send('{"authToken": "t"}')
                await ws.recv()
                served = [str(m) async for m in ws]
            assert served == [f.text for f in original.stream(feed).frames]
    finally:
        await server.stop()


def test_recorded_pace_comes_from_frame_timestamps(tmp_path: Path) -> None:
    original = generated(Sport.BASKETBALL, 4)
    write_recorded(original, tmp_path)
    (recorded,) = load_recorded(tmp_path).values()
    for feed in Feed:
        paced = [round(f.at, 3) for f in recorded.stream(feed).frames]
        assert paced == [round(f.at, 3) for f in original.stream(feed).frames]


def test_simulate_record_and_truth_files(tmp_path: Path) -> None:
    truth_file = tmp_path / "truth.json"
    argv = [
        "simulate",
        "--fixtures",
        "5",
        "--seed",
        "3",
        "--record",
        str(tmp_path / "rec"),
        "--truth",
        str(truth_file),
        "--malformed",
        "0.02",
    ]
    assert main(argv) == 0
    truth = orjson.loads(truth_file.read_bytes())
    assert sorted(t["sport"] for t in truth) == sorted(s.value for s in Sport)
    loaded = load_recorded(tmp_path / "rec")
    for fixture_truth in truth:
        fixture = loaded[fixture_truth["fixtureId"]]
        for feed in Feed:
            assert len(fixture.stream(feed).frames) == fixture_truth["frames"][feed.value]
        lines = fixture.stream(Feed.ACTIONS).frames
        bad = set(fixture_truth["malformed"]["actions"])
        last_good = max(i for i in range(1, len(lines) + 1) if i not in bad)
        final = orjson.loads(lines[last_good - 1].text)["fixtureSummary"]
        assert final["homeTeamScore"] == fixture_truth["homeScore"]
