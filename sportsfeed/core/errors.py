"""The errors every sportsfeed command can end with, and what the operator should do about them.

    SportsfeedError                 base; `retriable` says whether trying again may help
    ├── SettingsError               a setting is missing or malformed (not retriable: fix it)
    └── InfrastructureError         the broker, registry or a download is not there (retriable)

Messages name what failed (setting, URL without credentials, topic) and what to do.
"""

from __future__ import annotations


class SportsfeedError(Exception):
    """Base of every error sportsfeed raises on purpose."""

    retriable = False


class SettingsError(SportsfeedError):
    """A setting is missing or malformed; the message names the environment variable."""


class InfrastructureError(SportsfeedError):
    """A server or download the job needs did not answer or did not match what was pinned."""

    retriable = True
