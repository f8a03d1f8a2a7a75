"""Kafka client errors during an outage, as a few lines naming what is down and since when.

While a broker is down aiokafka logs an ERROR per attempt per connection, some 10,000 lines a
second; the first says what happened, the rest say nothing new. This filter lets the first
through, then one line every `every_s` with the time the errors began, how many were held
back and the latest one. After `every_s` without an error the outage is over and the next
error starts a new one.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

CLIENT_LOGGERS = ("aiokafka", "kafka")


class OutageLog(logging.Filter):
    """A handler filter: at most one Kafka client warning or error every `every_s`."""

    def __init__(self, every_s: float = 5.0, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.every_s = every_s
        self._clock = clock
        self._since: float | None = None  # when the current run of errors began
        self._last_error = 0.0
        self._last_shown = 0.0
        self._held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or not record.name.startswith(CLIENT_LOGGERS):
            return True
        now = self._clock()
        if self._since is None or now - self._last_error > self.every_s:
            self._since, self._last_shown, self._held = now, now, 0
            self._last_error = now
            return True
        self._last_error = now
        if now - self._last_shown < self.every_s:
            self._held += 1
            return False
        began = dt.datetime.fromtimestamp(self._since, dt.UTC).strftime("%H:%M:%S")
        record.msg = (
            f"kafka client errors since {began} UTC ({now - self._since:.0f} s; "
            f"{self._held} like it not shown): {record.getMessage()}"
        )
        record.args = ()
        self._last_shown, self._held = now, 0
        return True


def quiet_kafka_client_errors(every_s: float = 5.0) -> None:
    """Put an OutageLog on every handler of the root logger (set up by the command)."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(OutageLog(every_s))
