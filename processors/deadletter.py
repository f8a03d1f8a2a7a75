"""Processor (pure): the dead letter of a raw record that could not be processed.

The rejected topic keeps the record's key, bytes and headers as they were, plus where it came
from and why it was refused, so an operator can fix and re-publish it. A value over
DEAD_LETTER_LIMIT is cut to it (header `truncated-from`: its size), so that the dead letter
always fits the rejected topic and the worker's requests (`sportsfeed.core.limits`); the raw
record itself stays where `source-topic`/`source-partition`/`source-offset` say.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from sportsfeed.core.limits import DEAD_LETTER_LIMIT, RECORD_OVERHEAD

REASON_LIMIT: Final = 1000  # characters of the reason kept in the header
HEADERS_LIMIT: Final = RECORD_OVERHEAD // 2  # bytes of the raw record's own headers kept
Headers = list[tuple[str, bytes]]


def dead_letter(
    value: bytes, headers: Headers, topic: str, partition: int, offset: int, error: BaseException
) -> tuple[bytes, Headers]:
    """The dead letter's value and headers for a raw record; it always fits the topic."""
    size = sum(len(name) + len(data) for name, data in headers)
    kept = headers if size <= HEADERS_LIMIT else [("headers-dropped", str(size).encode())]
    letter = dead_letter_headers(kept, topic, partition, offset, error)
    if len(value) <= DEAD_LETTER_LIMIT:
        return value, letter
    return value[:DEAD_LETTER_LIMIT], [*letter, ("truncated-from", str(len(value)).encode())]


def dead_letter_headers(
    headers: Iterable[tuple[str, bytes]],
    topic: str,
    partition: int,
    offset: int,
    error: BaseException,
) -> list[tuple[str, bytes]]:
    reason = str(error)[:REASON_LIMIT] or type(error).__name__
    return [
        *headers,
        ("source-topic", topic.encode()),
        ("source-partition", str(partition).encode()),
        ("source-offset", str(offset).encode()),
        ("error-class", type(error).__name__.encode()),
        ("error-message", reason.encode()),
    ]
