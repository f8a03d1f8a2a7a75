"""How much of the libraries' logging a user sees: what a verb prints is its output and ours.

Two cases: while a verb first connects, the Kafka client's own ERROR lines only repeat what our
one-line error then says, naming the setting; and the read-only verbs (`tail`, `scoreboard`)
print their records or table, not the libraries' INFO lines, unless SPORTSFEED_LOG_LEVEL asks.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from sportsfeed.core.outage_log import CLIENT_LOGGERS
from sportsfeed.core.settings import ProcessSettings


@contextlib.contextmanager
def kafka_client_silenced() -> Iterator[None]:
    """The Kafka client logs nothing meanwhile: the caller explains any failure itself."""
    with _levels(dict.fromkeys(CLIENT_LOGGERS, logging.CRITICAL)):
        yield


@contextlib.contextmanager
def output_only(settings: ProcessSettings) -> Iterator[None]:
    """Warnings and errors only, unless SPORTSFEED_LOG_LEVEL is set: INFO lines would mix
    with the records a verb prints, or scroll a table redrawn in place off the screen. The
    Kafka client's warnings go too: they are retries it makes itself (a new topic's partition
    without a leader yet), and what does not recover ends in our own error."""
    if "log_level" in settings.model_fields_set:
        yield
        return
    root = max(logging.getLogger().level, logging.WARNING)
    with _levels({"": root} | dict.fromkeys(CLIENT_LOGGERS, logging.ERROR)):
        yield


@contextlib.contextmanager
def _levels(wanted: dict[str, int]) -> Iterator[None]:
    """These loggers (by name, "" the root) at these levels meanwhile, then as they were."""
    loggers = {logging.getLogger(name or None): level for name, level in wanted.items()}
    before = {logger: logger.level for logger in loggers}
    for logger, level in loggers.items():
        logger.setLevel(level)
    try:
        yield
    finally:
        for logger, level in before.items():
            logger.setLevel(level)
