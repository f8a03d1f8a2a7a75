"""The topic contract: every topic's name, in one place (see the README's topic table)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sportsfeed.core.limits import RECORD_LIMIT
from sportsfeed.core.vendor import Feed

PREFIX_SEPARATORS = ".-_"
_LEGAL_PREFIX = re.compile(r"[A-Za-z0-9._-]{1,200}")  # Kafka's topic characters, room for names


def normalised_prefix(prefix: str) -> str:
    """`prefix` ending in a separator ("replay1" becomes "replay1."), or ValueError.

    Topic names are the prefix and a suffix glued together: without a separator "replay1"
    would give "replay1fixture-score".
    """
    if not _LEGAL_PREFIX.fullmatch(prefix):
        raise ValueError(
            f"{prefix!r} is not a topic prefix; use letters, digits and . _ - (e.g. replay1.)"
        )
    return prefix if prefix[-1] in PREFIX_SEPARATORS else prefix + "."


@dataclass(frozen=True)
class Topics:
    """Topic names under one prefix (default `sportsfeed.`); all are keyed by fixtureId."""

    prefix: str = "sportsfeed."

    def raw(self, feed: Feed) -> str:
        return f"{self.prefix}raw.{feed.value}"

    @property
    def feed_status(self) -> str:
        return f"{self.prefix}feed-status"

    @property
    def fixture_score(self) -> str:
        return f"{self.prefix}fixture-score"

    @property
    def period_delta(self) -> str:
        return f"{self.prefix}period-delta"

    @property
    def fixture_finished(self) -> str:
        return f"{self.prefix}fixture-finished"

    @property
    def market_state(self) -> str:
        return f"{self.prefix}market-state"

    @property
    def rejected(self) -> str:
        return f"{self.prefix}rejected"

    @property
    def processor_group(self) -> str:
        """The processors' Faust app id: their consumer group and changelog prefix."""
        return f"{self.prefix}processor"

    @property
    def fixtures_changelog(self) -> str:
        """The changelog of the processors' per-fixture state table (Faust's naming)."""
        return f"{self.processor_group}-fixtures-changelog"

    def all(self, raw_retention_ms: int = -1) -> dict[str, dict[str, str]]:
        """Every topic with its configuration."""
        compacted = {"cleanup.policy": "compact"}
        sized = {"max.message.bytes": str(RECORD_LIMIT)}  # set on purpose: sportsfeed.core.limits
        raw = {"cleanup.policy": "delete", "retention.ms": str(raw_retention_ms)} | sized
        return {
            self.raw(Feed.ACTIONS): raw,
            self.raw(Feed.STATISTICS): raw,
            self.feed_status: compacted,
            self.fixture_score: compacted,
            self.period_delta: {"cleanup.policy": "delete"},
            self.fixture_finished: compacted,
            self.market_state: compacted,
            self.rejected: {"cleanup.policy": "delete"} | sized,
            self.fixtures_changelog: compacted,
        }
