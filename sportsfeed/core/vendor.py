"""The vendor's vocabulary: sports, feeds, channels, the Accept header and where a stream lives.

The producer speaks it to the vendor, the simulator serves it, the processors read it back
from the raw records' headers: one definition for all of them.
"""

from __future__ import annotations

import enum
from typing import Final

ACCEPT: Final = "application/vnd.imggaming.dde.api+json;version=1"  # refused without it


class Sport(enum.Enum):
    """The five sports, valued by their path segment in the vendor's URLs."""

    SOCCER = "soccer"
    BASKETBALL = "basketball"
    VOLLEYBALL = "v2/volleyball"
    SNOOKER = "snooker"
    TABLE_TENNIS = "v2/tabletennis"

    @property
    def slug(self) -> str:
        """The sport's name without the API version: soccer, volleyball, tabletennis..."""
        return self.value.rpartition("/")[2]

    @property
    def scores_by_periods_won(self) -> bool:
        """Set sports count periods (sets, games, frames) won; the others count points/goals."""
        return self in {Sport.VOLLEYBALL, Sport.SNOOKER, Sport.TABLE_TENNIS}


class Feed(enum.Enum):
    ACTIONS = "actions"
    STATISTICS = "statistics"


class Channel(enum.Enum):
    BETTING = "betting"
    MEDIA = "media"


# Every name a person may give a sport: its slug, its URL segment or its enum name in lower case.
SPORT_NAMES: Final = {
    name: sport for sport in Sport for name in (sport.slug, sport.value, sport.name.lower())
}


def sport_by_name(name: str) -> Sport | None:
    return SPORT_NAMES.get(name)


def stream_path(sport: Sport, fixture_id: str, feed: Feed, channel: Channel) -> str:
    """The path of one fixture's feed on the vendor's stream server."""
    media = "/media" if channel is Channel.MEDIA else ""
    return f"{media}/{sport.value}/fixtures/{fixture_id}/{feed.value}"
