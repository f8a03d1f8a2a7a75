"""Secrets stay out of logs: a filter for the websocket library's frame-level debug logs."""

from __future__ import annotations

import logging


class RedactAuthMessages(logging.Filter):
    """Replace any log record that would show an auth message (`{"authToken": ...}`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "authToken" in record.getMessage():
            record.msg, record.args = "[auth message redacted]", ()
        return True


def redacting_logger(name: str) -> logging.Logger:
    """A logger for websocket connections that never prints the vendor token."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactAuthMessages) for f in logger.filters):
        logger.addFilter(RedactAuthMessages())
    return logger
