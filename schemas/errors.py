"""Errors of the Avro contract.

SchemaError                     base (sportsfeed.core.errors.SportsfeedError)
├── RegistryUnavailable         the registry did not answer (retriable)
├── UnknownSchemaId             a record names a schema id the registry does not know
└── RecordMismatch              a record does not match its schema; names the field
"""

from __future__ import annotations

from sportsfeed.core.errors import SportsfeedError


class SchemaError(SportsfeedError):
    """Something about schemas or Avro records went wrong."""


class RegistryUnavailable(SchemaError):
    retriable = True


class UnknownSchemaId(SchemaError):
    pass


class RecordMismatch(SchemaError):
    pass
