"""How much of the libraries' logging a user sees: what a verb prints is its output and ours.

Two cases: while a verb first connects, the Kafka client's own ERROR lines only repeat what our
one-line error then says, naming the setting; and the read-only verbs (`tail`, `scoreboard`)
print their records or table, not the libraries' INFO lines, unless SPORTSFEED_LOG_LEVEL asks.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from sportsfeed.outage_log import CLIENT_LOGGERS
from sportsfeed.settings import Settings


@contextlib.contextmanager
def kafka_client_silenced() -> Iterator[None]:
    """The Kafka client logs nothing meanwhile: the caller explains any failure itself."""
    loggers = [logging.getLogger(name) for name in CLIENT_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextlib.contextmanager
def output_only(settings: Settings) -> Iterator[None]:
    """Warnings and errors only, unless SPORTSFEED_LOG_LEVEL is set: INFO lines would mix
    with the records a verb prints, or scroll a table redrawn in place off the screen. The
    Kafka client's warnings go too: they are retries it makes itself (a new topic's partition
    without a leader yet), and what does not recover ends in our own error."""
    loggers = [logging.getLogger(), *map(logging.getLogger, CLIENT_LOGGERS)]
    levels = [logger.level for logger in loggers]
    if "log_level" not in settings.model_fields_set:
        loggers[0].setLevel(max(levels[0], logging.WARNING))
        for logger in loggers[1:]:
            logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
