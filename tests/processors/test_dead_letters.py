"""A dead letter always fits the rejected topic, and says where its raw record is."""

from __future__ import annotations

import pytest

from processors.deadletter import HEADERS_LIMIT, dead_letter
from processors.frames import BadFrame, read_meta
from producers.protocol import stand_in
from sportsfeed.core.limits import DEAD_LETTER_LIMIT, FRAME_LIMIT, RECORD_LIMIT

RAW = [("sport", b"soccer"), ("feed", b"actions"), ("position", b"12")]


def _size(value: bytes, headers: list[tuple[str, bytes]]) -> int:
    return len(value) + sum(len(name) + len(data) for name, data in headers)


def test_a_small_dead_letter_keeps_the_record_as_it_was() -> None:
    value, headers = dead_letter(b"{oops", RAW, "p.raw.actions", 2, 41, BadFrame("not JSON"))
    assert value == b"{oops"
    found = dict(headers)
    assert found["position"] == b"12"
    assert (found["source-topic"], found["source-partition"], found["source-offset"]) == (
        b"p.raw.actions",
        b"2",
        b"41",
    )
    assert (found["error-class"], found["error-message"]) == (b"BadFrame", b"not JSON")
    assert "truncated-from" not in found


def test_a_dead_letter_over_the_limit_is_cut_with_its_size_and_reference() -> None:
    big = b"x" * 1_011_314  # the size that ended the agent before
    value, headers = dead_letter(big, RAW, "p.raw.actions", 0, 7, BadFrame("not JSON"))
    found = dict(headers)
    assert value == big[:DEAD_LETTER_LIMIT]
    assert found["truncated-from"] == b"1011314"
    assert found["source-offset"] == b"7"
    assert _size(value, headers) < RECORD_LIMIT - 4096  # room for the key and framing


def test_huge_headers_are_dropped_not_the_reference() -> None:
    headers = [("junk", b"y" * (HEADERS_LIMIT + 1))]
    value, letter = dead_letter(b"x" * FRAME_LIMIT, headers, "t", 1, 2, BadFrame("bad"))
    found = dict(letter)
    assert "junk" not in found
    assert found["headers-dropped"] == str(4 + HEADERS_LIMIT + 1).encode()
    assert _size(value, letter) < RECORD_LIMIT - 4096


def test_a_stand_in_for_an_oversized_frame_is_refused_naming_it() -> None:
    value, headers = stand_in(RAW, 2_000_000)
    assert value == b""
    with pytest.raises(BadFrame, match="a frame of 2000000 bytes at position 12 was over"):
        read_meta(headers)
