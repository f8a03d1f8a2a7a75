"""Producers: vendor websockets to the raw Kafka topics (feed -> frames -> publish)."""
