"""Derive: what changed between two successive statistics snapshots (`PeriodDelta`).

Per team, period, action and sub-action: previous, current and delta. An aggregate absent from
a snapshot counts as 0, so a correction gives a negative delta, and the deltas of a fixture,
summed, equal its latest snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping

from processors.frames import Aggregate, AggregateKey, StatisticsFrame
from schemas.records import AggregateChange, PeriodDeltaBody
from sportsfeed.core.vendor import Sport

Snapshot = Mapping[AggregateKey, Aggregate]


def changes(previous: Snapshot, current: Snapshot) -> list[AggregateChange]:
    """Every aggregate whose value differs, in a fixed order (home first, period, ids)."""
    rows: list[AggregateChange] = []
    for key in sorted(previous.keys() | current.keys(), key=_order):
        before, after = previous.get(key), current.get(key)
        old, new = before.value if before else 0, after.value if after else 0
        if old == new:
            continue
        named = after or before
        if named is None:  # never: the key came from one of the two
            continue
        team_id, home, period, action_id, sub_id = key
        rows.append(
            {
                "teamId": team_id,
                "home": home,
                "period": period,
                "action": named.action,
                "actionId": action_id,
                "subAction": named.sub_action,
                "subActionId": sub_id,
                "previous": old,
                "current": new,
                "delta": new - old,
            }
        )
    return rows


def _order(key: AggregateKey) -> tuple[bool, int, int, int, str]:
    team_id, home, period, action_id, sub_id = key
    return (not home, period, action_id, -1 if sub_id is None else sub_id, team_id)


def period_delta(
    previous: Snapshot, previous_sequence: int | None, frame: StatisticsFrame, sport: Sport
) -> PeriodDeltaBody:
    """The `PeriodDelta` from the previous snapshot to `frame` (without `source`)."""
    return {
        "fixtureId": frame.fixture_id,
        "sport": sport.name,
        "changes": changes(previous, frame.aggregates),
        "previousSequence": previous_sequence,
    }
