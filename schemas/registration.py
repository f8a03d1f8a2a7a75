"""Registering the schemas a process writes: once, at its start-up, off the event loop's way.

Each topic's schema goes under the subject `<topic>-value` with BACKWARD compatibility, over
the registry's asynchronous client, so a process whose event loop is already running (the
producer) keeps serving while it waits. Only writers call this; readers look schemas up by id
(`schemas.serde.Registry`) and register nothing.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable
from typing import Any, Final, TypeVar

import httpx
from schema_registry.client import AsyncSchemaRegistryClient
from schema_registry.client.schema import AvroSchema

from schemas.contract import contract_text
from schemas.errors import RegistryUnavailable, SchemaError
from schemas.outputs import Output
from schemas.serde import AvroWriter
from sportsfeed.core.topics import Topics

R = TypeVar("R")
TRIES: Final = 5


async def register(registry_url: str, subject: str, schema: str) -> int:
    """Set BACKWARD compatibility on `subject` and register `schema`; its id.

    Both steps are idempotent, so they are tried again when they fail: processes starting
    together (a StatefulSet's workers) race on a new subject, and the registry then refuses
    all but one ("Unable to update level").
    """
    client = AsyncSchemaRegistryClient(registry_url, timeout=httpx.Timeout(10.0))
    for attempt in range(1, TRIES + 1):
        try:
            await client.update_compatibility("BACKWARD", subject)
            schema_id = int(await client.register(subject, AvroSchema(schema)))
            break
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(
                f"schema registry at {registry_url} did not answer ({exc}); "
                "check SCHEMA_REGISTRY_URL"
            ) from exc
        except Exception as exc:
            if attempt == TRIES:
                raise SchemaError(
                    f"registering {subject} at {registry_url} failed: {exc}; check that "
                    "SCHEMA_REGISTRY_URL is a Confluent-compatible API (Apicurio's ends in "
                    "/apis/ccompat/v7)"
                ) from exc
            await asyncio.sleep(random.uniform(0.05, 0.3) * attempt)  # let the other finish
    if schema_id < 0:
        raise SchemaError(f"registry at {registry_url} refused {subject}: incompatible schema?")
    return schema_id


async def writer(registry_url: str, topics: Topics, output: Output[R]) -> AvroWriter[R]:
    """The writer of `output` under `topics`, its schema registered."""
    topic = output.topic(topics)
    schema_id = await register(registry_url, f"{topic}-value", contract_text(output.schema))
    return AvroWriter(output, topic, schema_id)


async def writers(
    registry_url: str, topics: Topics, outputs: Iterable[Output[Any]]
) -> dict[Output[Any], AvroWriter[Any]]:
    """The writers of `outputs` under `topics`, by output, their schemas registered."""
    return {output: await writer(registry_url, topics, output) for output in outputs}
