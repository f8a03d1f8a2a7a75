"""A broker outage costs a few log lines a second, not aiokafka's thousands."""

from __future__ import annotations

import io
import logging

import pytest

from sportsfeed.core.outage_log import OutageLog


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0  # 22:13:20 UTC

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def logged() -> tuple[logging.Logger, io.StringIO, Clock]:
    out, clock = io.StringIO(), Clock()
    handler = logging.StreamHandler(out)
    handler.addFilter(OutageLog(every_s=5.0, clock=clock))
    logger = logging.getLogger("aiokafka.conn.test")
    logger.handlers[:] = [handler]
    logger.propagate = False
    return logger, out, clock


def test_a_25_s_outage_of_10000_errors_a_second_logs_five_lines(
    logged: tuple[logging.Logger, io.StringIO, Clock],
) -> None:
    logger, out, clock = logged
    for _ in range(250_000):  # 25 s at 10,000 a second
        logger.error("Unable connect to node with id %d: %s", 1, "Connect call failed")
        clock.now += 0.0001
    lines = out.getvalue().splitlines()
    assert len(lines) == 5  # the first, then one at 5, 10, 15 and 20 s
    assert lines[0] == "Unable connect to node with id 1: Connect call failed"
    assert lines[1].startswith("kafka client errors since 22:13:20 UTC (5 s; ")
    assert "like it not shown" in lines[1]
    assert lines[4].startswith("kafka client errors since 22:13:20 UTC (20 s; ")
    assert lines[-1].endswith("Unable connect to node with id 1: Connect call failed")


def test_after_a_quiet_spell_a_new_outage_is_reported_at_once(
    logged: tuple[logging.Logger, io.StringIO, Clock],
) -> None:
    logger, out, clock = logged
    logger.error("first outage")
    clock.now += 60
    logger.error("second outage")
    assert out.getvalue().splitlines() == ["first outage", "second outage"]


def test_other_loggers_and_info_lines_pass_untouched() -> None:
    out, clock = io.StringIO(), Clock()
    handler = logging.StreamHandler(out)
    handler.addFilter(OutageLog(every_s=5.0, clock=clock))
    for name, level in (("producers.app", logging.ERROR), ("aiokafka", logging.INFO)):
        logger = logging.getLogger(f"{name}.outage-test")
        logger.handlers[:] = [handler]
        logger.propagate = False
        logger.setLevel(logging.DEBUG)
        for _ in range(3):
            logger.log(level, "%s line", name)
    assert out.getvalue().splitlines() == ["producers.app line"] * 3 + ["aiokafka line"] * 3
