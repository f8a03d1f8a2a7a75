"""The soak's growth figures, on hand-made samples."""

from __future__ import annotations

import pytest

from bench.soak import Sample, growth


def _sample(minute: float, worker: float, rocksdb: float, producer: float = 50.0) -> Sample:
    return Sample(minute, {"producer": producer, "worker": worker}, rocksdb, frames=0, lag=0)


def test_growth_from_the_warm_up_to_the_end_medians_of_three() -> None:
    samples = [_sample(m, 100.0, 0.0) for m in (1, 2, 3, 4)]
    samples += [_sample(5, 100.0, 0.0), _sample(6, 130.0, 0.0), _sample(7, 100.0, 0.0)]
    samples += [_sample(8, 110.0, 0.0), _sample(9, 111.0, 0.0), _sample(10, 50.0, 0.0)]
    grown = growth(samples, warm_up_min=5)
    assert grown["worker"] == pytest.approx(10.0)  # median 110 at the end, 100 after warm-up
    assert grown["producer"] == pytest.approx(0.0)


def test_the_worker_less_rocksdb_counts_rocksdb_at_its_peak_so_far() -> None:
    # RSS = 80 MB + the most RocksDB has held: freed RocksDB memory stays in the process
    rocksdb = [5.0, 20.0, 10.0, 12.0, 30.0, 15.0, 15.0, 8.0]
    peaks = [5.0, 20.0, 20.0, 20.0, 30.0, 30.0, 30.0, 30.0]
    samples = [_sample(m, 80 + p, r) for m, (r, p) in enumerate(zip(rocksdb, peaks, strict=True))]
    grown = growth(samples, warm_up_min=0)
    assert grown["worker"] == pytest.approx(100 * (110 / 100 - 1))  # medians 110 and 100
    assert grown["worker less RocksDB's peak"] == pytest.approx(0.0)
