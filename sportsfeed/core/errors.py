"""Core: the error tree, every exception sportsfeed raises on purpose, and who handles each.

    SportsfeedError             sportsfeed.core.errors  the root: the cli prints it in one line
    ├── SettingsError           sportsfeed.core.errors  a setting is malformed: fix it
    ├── InfrastructureError     sportsfeed.core.errors  a server, tool or download failed
    │   ├── KafkaUnavailable    producers.publisher     Kafka took nothing for too long
    │   └── Fenced              producers.publisher     another producer has our identity
    ├── SchemaError             schemas.errors          a schema or registry answer is bad
    │   ├── RegistryUnavailable schemas.errors          the registry did not answer
    │   ├── UnknownSchemaId     schemas.errors          a schema id the registry lacks
    │   └── RecordMismatch      schemas.errors          a record off its schema: dead letter
    ├── AuthRejected            producers.stream        the vendor refused the token
    ├── Stale                   producers.stream        a stream went silent: reconnect
    └── BadFrame                processors.frames       unreadable raw record: dead letter

Each class lives next to the code that raises it (the first three, raised everywhere, here);
`tests/core/test_error_tree.py` proves this drawing lists every one with its real base.

Whether to try again is decided where an error is caught, by its class, not by a flag on it:
the stream loop reconnects on `Stale` and waits SPORTSFEED_AUTH_RETRY_S after `AuthRejected`
(unless SPORTSFEED_EXIT_ON_AUTH_FAILURE), the agent dead-letters `BadFrame` and
`RecordMismatch`, and everything else reaches `sportsfeed.cli`, which prints it and exits
non-zero so that the orchestrator restarts the process. Transient failures are retried below
these (Kafka's clients, schema registration), before one is raised.

Messages name what failed (setting, URL without credentials, topic) and what to do.
"""

from __future__ import annotations


class SportsfeedError(Exception):
    """Base of every error sportsfeed raises on purpose."""


class SettingsError(SportsfeedError):
    """A setting is missing or malformed; the message names the environment variable."""


class InfrastructureError(SportsfeedError):
    """A server or download the job needs did not answer or did not match what was pinned."""
