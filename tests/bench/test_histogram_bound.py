"""The benchmarks' readings of metrics pages (a histogram's quantile between two scrapes, a
labelled metric's total), on hand-made pages."""

from __future__ import annotations

import math

from bench.measure import histogram_bound, metric_total


def _page(name: str, counts: dict[str, int]) -> str:
    lines = [f'{name}_bucket{{le="{le}"}} {float(n)}' for le, n in counts.items()]
    return "\n".join([*lines, f"{name}_count {float(counts['+Inf'])}"])


# Before the window 100 records were observed, all at most 5 ms; in the window 100 more:
# 10 at most 5 ms, 80 in (5, 10] ms, 10 in (10, 20] ms. Another histogram on the same page
# must not count.
BEFORE = _page("x", {"0.005": 100, "0.01": 100, "0.02": 100, "+Inf": 100})
AFTER = "\n".join(
    [
        _page("other_x", {"0.005": 999, "0.01": 999, "0.02": 999, "+Inf": 999}),
        _page("x", {"0.005": 110, "0.01": 190, "0.02": 200, "+Inf": 200}),
    ]
)


def test_quantiles_count_only_the_window() -> None:
    assert histogram_bound(BEFORE, AFTER, "x", 0.1) == 0.005  # the 10th of 100
    assert histogram_bound(BEFORE, AFTER, "x", 0.5) == 0.01  # not 5 ms, as all 200 would say
    assert histogram_bound(BEFORE, AFTER, "x", 0.99) == 0.02


def test_beyond_the_last_bound_is_infinite() -> None:
    after = _page("x", {"0.005": 110, "0.01": 190, "0.02": 195, "+Inf": 200})
    assert math.isinf(histogram_bound(BEFORE, after, "x", 0.99))


def test_a_labelled_metrics_total_counts_only_that_metric() -> None:
    page = "\n".join(
        [
            "# HELP rocks Bytes",
            'rocks{partition="0",kind="memtables"} 2048.0',
            'rocks{partition="1",kind="block_cache"} 1.5e+06',
            'other_rocks{partition="1",kind="memtables"} 999.0',
            'rocks_created{partition="0"} 7.0',
        ]
    )
    assert metric_total(page, "rocks") == 2048 + 1_500_000
