"""The top layer: one module per `sportsfeed` verb, thin shells over the packages below."""
