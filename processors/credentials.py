"""The processor's Faust worker logs in to Kafka as every other client does, from `KafkaSecurity`.

Kept beside the worker, not with the settings: only the processors need Faust.
"""

from __future__ import annotations

import faust

from sportsfeed.core.kafka_security import KafkaSecurity


def faust_credentials(security: KafkaSecurity) -> faust.auth.Credentials | None:
    """The Faust worker's `broker_credentials` (None: plaintext)."""
    if security.uses_sasl:
        return faust.SASLCredentials(
            username=security.sasl_username,
            password=security.password(),
            ssl_context=security.ssl_context(),
            mechanism=security.sasl_mechanism,
        )
    context = security.ssl_context()
    return faust.SSLCredentials(context) if context is not None else None
