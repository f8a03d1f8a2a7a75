"""sportsfeed: live sports data from vendor websockets to Kafka, derived into Avro facts."""

__version__ = "0.1.0"
