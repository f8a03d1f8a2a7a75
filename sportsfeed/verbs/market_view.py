"""How the scoreboard and `tail` show a fixture's market state and the age of its lease.

Both apply the consumer's rule: an OPEN whose validUntil has passed is SUSPENDED, and a lease
that has run out is shown as such, so a row or line nobody renews looks stale.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.text import Text

from schemas.serde import micros

Moment = dt.datetime | int  # Avro timestamp-micros, as read (datetime) or as written (int)


def seconds_between(earlier: Moment, later: Moment) -> float:
    return (micros(later) - micros(earlier)) / 1e6


def market_cell(market: dict[str, Any] | None, liveness_at: Moment | None, now: Moment) -> Text:
    """`OPEN 0.4s`, `SUSPENDED 0.4s` (yellow), `EXPIRED 12.0s` (red): the state by the
    consumer's rule, then the age of the fixture's last feed-status record. Compact, so a
    narrow board keeps it beside the sport; the reasons have a cell of their own."""
    age = "" if liveness_at is None else f" {seconds_between(liveness_at, now):.1f}s"
    if market is None:
        return Text(f"-{age}", style="dim")
    expired = seconds_between(market["validUntil"], now) >= 0
    if market["state"] == "OPEN" and not expired:
        return Text(f"OPEN{age}", style="green")
    if market["state"] == "OPEN":
        return Text(f"EXPIRED{age}", style="bold red")
    return Text(f"SUSPENDED{age}", style="red" if expired else "yellow")


def market_reasons(market: dict[str, Any] | None) -> str:
    """Why a market is suspended, in words: `feed not live, pending decision`."""
    if market is None or market["state"] == "OPEN":
        return ""
    return ", ".join(r.lower().replace("_", " ") for r in market["reasons"])


def lease_fields(value: object, now: Moment) -> dict[str, object]:
    """For `tail`: a record's lease as the consumer's rule reads it at `now` (empty if none)."""
    if not isinstance(value, dict) or value.get("validUntil") is None:
        return {}
    fields: dict[str, object] = {"expired": seconds_between(value["validUntil"], now) >= 0}
    stamp = value.get("livenessAt") or value.get("emittedAt")
    if stamp is not None:
        fields["livenessAgeS"] = round(seconds_between(stamp, now), 3)
    return fields
