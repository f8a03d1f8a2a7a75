"""Schemas: the Avro contract of the derived topics (.avsc files) and its serde."""
