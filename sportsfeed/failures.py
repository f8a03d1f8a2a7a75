"""The last word on an error no verb explained: one line naming what to check, no traceback.

Verbs raise `SportsfeedError`s with their own words where they know the context. Anything else
that escapes a verb (a Kafka client giving up, the registry not answering, a port taken) is
put into words here from the exception's type and the settings, so the user still reads one
line naming the setting to check; SPORTSFEED_LOG_LEVEL=DEBUG shows the traceback as well.
"""

from __future__ import annotations

import errno

import httpx
from aiokafka.errors import KafkaError

from sportsfeed.core.settings import KafkaSettings, ProcessSettings

CCOMPAT_HINT = "Apicurio's ends in /apis/ccompat/v7"


def describe_failure(exc: BaseException, settings: ProcessSettings) -> str:
    """What went wrong, to what, and which setting to check."""
    servers = settings if isinstance(settings, KafkaSettings) else None  # the simulator: none
    kafka = (servers and servers.kafka_bootstrap_servers) or "the local broker"
    registry = (servers and servers.schema_registry_url) or "the local registry"
    if isinstance(exc, KafkaError):
        return (
            f"Kafka at {kafka} did not answer ({type(exc).__name__}: {exc}); check "
            "KAFKA_BOOTSTRAP_SERVERS and that the brokers are running"
        )
    if isinstance(exc, httpx.HTTPStatusError):
        request, answer = exc.request, exc.response
        return (
            f"the schema registry at {registry} answered {answer.status_code} "
            f"{answer.reason_phrase} to {request.method} {request.url.path}; check that "
            f"SCHEMA_REGISTRY_URL is its Confluent-compatible API ({CCOMPAT_HINT})"
        )
    if isinstance(exc, httpx.HTTPError):
        return (
            f"the schema registry at {registry} did not answer ({type(exc).__name__}); check "
            f"SCHEMA_REGISTRY_URL ({CCOMPAT_HINT})"
        )
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return (
            f"address in use ({exc.strerror}): another process holds a port this command "
            "needs; for the metrics port set SPORTSFEED_METRICS_PORT to a free port (0: none)"
        )
    return (
        f"unexpected {type(exc).__name__}: {exc}; run again with SPORTSFEED_LOG_LEVEL=DEBUG for "
        "the traceback"
    )
