"""The top layer: one module per `sportsfeed` verb (thin shells over the packages below) and
what only the verbs use (argument types, the metrics port, replay's progress and topics)."""
