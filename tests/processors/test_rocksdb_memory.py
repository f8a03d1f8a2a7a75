"""The processor's RocksDB memory gauges read RocksDB's own accounting, per open partition."""

from __future__ import annotations

from pathlib import Path

from rocksdict import Options, Rdict

from processors.metrics import Metrics

VALUE = b"v" * 1024
BUFFER = 8 * 2**20


def _gauge(metrics: Metrics, partition: str, kind: str) -> float | None:
    return metrics.registry.get_sample_value(
        "sportsfeed_processor_rocksdb_bytes", {"partition": partition, "kind": kind}
    )


def test_write_buffers_hold_what_was_written_and_revoked_partitions_drop_out(
    tmp_path: Path,
) -> None:
    options = Options(raw_mode=True)
    options.set_write_buffer_size(BUFFER)  # nothing is flushed: it all stays in memory
    busy, idle = Rdict(str(tmp_path / "3"), options), Rdict(str(tmp_path / "5"), options)
    try:
        for i in range(1000):
            busy[b"fixture-%d" % i] = VALUE
        metrics = Metrics()
        metrics.observe_rocksdb({3: busy, 5: idle})
        written = 1000 * len(VALUE)  # 1,024,000 bytes of values alone
        # at least the values, at most the one write buffer (RocksDB allocates it in blocks)
        assert written <= _gauge(metrics, "3", "memtables") <= BUFFER  # type: ignore[operator]
        assert _gauge(metrics, "5", "memtables") < written / 100  # type: ignore[operator]
        for kind in ("block_cache", "table_readers"):
            assert _gauge(metrics, "3", kind) is not None

        metrics.observe_rocksdb({5: idle})  # partition 3 revoked
        assert _gauge(metrics, "3", "memtables") is None
        assert _gauge(metrics, "5", "memtables") is not None
    finally:
        busy.close()
        idle.close()
