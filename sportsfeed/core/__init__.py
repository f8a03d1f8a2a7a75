"""The bottom layer, imported by every other: the vendor's vocabulary, the topic contract,
settings, the error tree and the Kafka client factory. It imports nothing of sportsfeed above it.
"""
