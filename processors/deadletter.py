"""Processor (pure): the dead letter of a raw record that could not be processed.

The rejected topic keeps the record's key, bytes and headers as they were, plus where it came
from and why it was refused, so an operator can fix and re-publish it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

REASON_LIMIT: Final = 1000  # characters of the reason kept in the header


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
