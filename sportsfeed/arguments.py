"""Argument types the verbs share: a bad value ends in argparse's one-line usage error."""

from __future__ import annotations

import argparse

from sportsfeed.topics import normalised_prefix


def topic_prefix(text: str) -> str:
    """A topic prefix, ending in a separator ("replay1" becomes "replay1.")."""
    try:
        return normalised_prefix(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)
