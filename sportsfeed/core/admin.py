"""Topics: create every sportsfeed topic with one partition count, alter configs that differ,
refuse a partition count or replication that does not match.

Every command meets Kafka here first, so this is also where a refused connection is explained:
unreachable, untrusted certificate, wrong protocol or rejected SASL login, each naming the
settings to check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.conn import create_conn
from aiokafka.errors import KafkaConnectionError, SaslAuthenticationFailed, TopicAlreadyExistsError

from sportsfeed.core import topic_configs
from sportsfeed.core.errors import InfrastructureError, SettingsError
from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.log_noise import kafka_client_silenced
from sportsfeed.core.topics import Topics

log = logging.getLogger(__name__)
_SETTLE_TRIES = 50
_SETTLE_PAUSE_S = 0.2
_PROBE_TIMEOUT_MS = 10_000


async def ensure_topics(
    endpoints: Endpoints,
    topics: Topics,
    partitions: int,
    replication: int,
    raw_retention_ms: int,
    *,
    check_only: bool = False,
) -> dict[str, int]:
    """Create the missing topics and alter configs that differ from the contract; raise
    SettingsError for what cannot change (partition count, replication). `check_only`: change
    nothing and raise SettingsError for any difference, a missing topic included."""
    wanted = topics.all(raw_retention_ms)
    admin = await connect(endpoints)
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing and check_only:
            raise SettingsError(f"missing topics {', '.join(missing)}; run `sportsfeed topics`")
        if missing:
            new = [
                NewTopic(name, partitions, replication, topic_configs=wanted[name])
                for name in missing
            ]
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile elsewhere
                await admin.create_topics(new)
            log.info("created topics %s", ",".join(missing))
        described = await _described(admin, list(wanted))
        layouts, overrides = await topic_configs.describe(admin, described)
        found = topic_configs.plan(wanted, partitions, replication, layouts, overrides)
        if found.refusals or (check_only and found.changes):
            raise SettingsError(
                "; ".join(
                    [
                        *found.refusals,
                        *(
                            f"topic config differs: {change}; run `sportsfeed topics` to alter it"
                            for change in found.changes
                        ),
                    ]
                )
            )
        await topic_configs.apply(admin, found)
        for change in found.changes:
            log.info("altered topic config %s", change)
    finally:
        await admin.close()
    return {name: layout.partitions for name, layout in layouts.items()}


async def _described(admin: AIOKafkaAdminClient, names: list[str]) -> list[dict[str, Any]]:
    """The topics' metadata, once that of newly created topics has settled."""
    for _ in range(_SETTLE_TRIES):
        described: list[dict[str, Any]] = await admin.describe_topics(names)
        if all(d["error_code"] == 0 and d["partitions"] for d in described):
            break
        await asyncio.sleep(_SETTLE_PAUSE_S)  # just created: leaders not yet elected
    return described


async def cluster_id(endpoints: Endpoints) -> str:
    """The Kafka cluster's id: tells a fresh cluster from another one at the same address."""
    admin = await connect(endpoints)
    try:
        described = await admin.describe_cluster()
    finally:
        await admin.close()
    return str(described["cluster_id"])


async def require_topics(endpoints: Endpoints, names: list[str]) -> dict[str, int]:
    """Partitions per topic; SettingsError naming the first that does not exist."""
    admin = await connect(endpoints)
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    for topic in described:
        if topic["error_code"] != 0 or not topic["partitions"]:
            raise SettingsError(
                f"no topic {topic['topic']} at {endpoints.bootstrap_servers}: create the topics "
                "with `sportsfeed topics` (or run `sportsfeed produce`), or check "
                "SPORTSFEED_TOPIC_PREFIX"
            )
    return {d["topic"]: len(d["partitions"]) for d in described}


async def connect(endpoints: Endpoints) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(**endpoints.kafka(client_id="sportsfeed-admin"))
    try:
        with kafka_client_silenced():  # a refusal is explained below, in one line
            await admin.start()
    except KafkaConnectionError as exc:
        await admin.close()
        with kafka_client_silenced():
            raise InfrastructureError(await explain_refusal(endpoints)) from exc
    return admin


async def explain_refusal(endpoints: Endpoints) -> str:
    """Why the first bootstrap server refuses us, in words naming the settings to check."""
    server = endpoints.bootstrap_servers.split(",")[0].strip()
    host, _, port = server.rpartition(":")
    security = endpoints.security
    options = security.client_options()
    try:
        connection = await create_conn(
            host, int(port), request_timeout_ms=_PROBE_TIMEOUT_MS, **options
        )
    except SaslAuthenticationFailed as exc:
        return (
            f"Kafka at {server} refused the {security.sasl_mechanism} login of user "
            f"{security.sasl_username!r} ({exc}); check KAFKA_SASL_USERNAME, "
            "KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM"
        )
    except ssl.SSLCertVerificationError as exc:
        return (
            f"Kafka at {server} presented a certificate this client does not trust "
            f"({exc.verify_message}); set KAFKA_SSL_CA_FILE to the PEM file of the CA that "
            "signed the brokers' certificates"
        )
    except (ssl.SSLError, TimeoutError, KafkaConnectionError) as exc:
        return (
            f"Kafka at {server} did not complete a {security.protocol} handshake ({exc!r}); "
            "check that KAFKA_SECURITY_PROTOCOL matches the listener of KAFKA_BOOTSTRAP_SERVERS"
        )
    except OSError as exc:
        return f"Kafka at {server} is unreachable ({exc}); check KAFKA_BOOTSTRAP_SERVERS"
    connection.close()
    return (
        f"Kafka at {server} accepts a connection but not the cluster's metadata requests; "
        "check KAFKA_BOOTSTRAP_SERVERS and the brokers' advertised listeners"
    )
