"""Processors: Faust agents deriving Avro facts from the raw topics (derive -> agents)."""
