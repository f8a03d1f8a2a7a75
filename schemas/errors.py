"""Errors of the Avro contract: the `SchemaError` branch of the tree in `sportsfeed.core.errors`."""

from __future__ import annotations

from sportsfeed.core.errors import SportsfeedError


class SchemaError(SportsfeedError):
    """Something about schemas or Avro records went wrong."""


class RegistryUnavailable(SchemaError):
    """The schema registry did not answer."""


class UnknownSchemaId(SchemaError):
    """A record names a schema id the registry does not know."""


class RecordMismatch(SchemaError):
    """A record does not match its schema; the message names the field."""
