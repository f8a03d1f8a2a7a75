"""Archive files: what is written is read back byte for byte, odd frames and headers included."""

from __future__ import annotations

from pathlib import Path

from sportsfeed.core.vendor import Feed
from sportsfeed.simulator.catalogue import load_recorded
from sportsfeed.verbs.archive import RawRecord, read_archive, write_stream

FIXTURE = "6f0c1a52-3d4e-4b7a-9c1d-2e3f4a5b6c7d"


def test_frames_with_line_breaks_and_binary_headers_round_trip(tmp_path: Path) -> None:
    key = FIXTURE.encode()
    records = [
        RawRecord(key, b'{"seqNum": 1}', [("sport", b"v2/tabletennis"), ("position", b"1")]),
        RawRecord(
            key, b'{\n  "seqNum": 2\r\n}', [("sport", b"v2/tabletennis"), ("x", b"\xff\x00")]
        ),
        RawRecord(key, b"not json at all", [("sport", b"v2/tabletennis")]),
    ]
    write_stream(tmp_path, FIXTURE, Feed.STATISTICS, records)
    assert read_archive(tmp_path) == {(FIXTURE, Feed.STATISTICS): records}
    # The simulator serves the same folder; its frames are the archive's lines.
    served = load_recorded(tmp_path)[FIXTURE].stream(Feed.STATISTICS).frames
    texts = [frame.text for frame in served]
    assert texts == ['{"seqNum": 1}', '{   "seqNum": 2  }', "not json at all"]
