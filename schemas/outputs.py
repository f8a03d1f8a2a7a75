"""Every Avro topic declared once: its topic suffix, its `.avsc` and its typed record (pure).

Codecs are built from these declarations (`schemas.serde`), topic names from the suffix under
a prefix, and tests/schemas/test_records.py proves each record type matches its schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from schemas import records
from sportsfeed.core.topics import Topics

R = TypeVar("R")


# Compared and hashed by identity: the processor looks writers up by output on every record.
@dataclass(frozen=True, eq=False)
class Output(Generic[R]):
    """One Avro topic: `<prefix><suffix>`, values `schemas/<schema>.avsc`, records `record`."""

    suffix: str
    schema: str
    record: type[R]

    def topic(self, topics: Topics) -> str:
        return f"{topics.prefix}{self.suffix}"

    def __repr__(self) -> str:
        return f"Output({self.suffix})"

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        """A copy (pickled, as stream libraries copy values between steps) is this output."""
        return output_named, (self.suffix,)


FEED_STATUS: Final = Output("feed-status", "feed_status", records.FeedStatus)
FIXTURE_SCORE: Final = Output("fixture-score", "fixture_score", records.FixtureScore)
PERIOD_DELTA: Final = Output("period-delta", "period_delta", records.PeriodDelta)
FIXTURE_FINISHED: Final = Output("fixture-finished", "fixture_finished", records.FixtureFinished)
MARKET_STATE: Final = Output("market-state", "market_state", records.MarketState)

OUTPUTS: Final[tuple[Output[Any], ...]] = (
    FEED_STATUS,
    FIXTURE_SCORE,
    PERIOD_DELTA,
    FIXTURE_FINISHED,
    MARKET_STATE,
)
DERIVED: Final[tuple[Output[Any], ...]] = (FIXTURE_SCORE, PERIOD_DELTA, FIXTURE_FINISHED)
"""What every processor writes; a live one (not a replay) writes MARKET_STATE as well."""

SCHEMA_NAMES: Final = tuple(output.schema for output in OUTPUTS)


def output_named(suffix: str) -> Output[Any]:
    """The declared output whose topic ends in `suffix`."""
    for output in OUTPUTS:
        if output.suffix == suffix:
            return output
    raise KeyError(suffix)
