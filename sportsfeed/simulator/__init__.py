"""Simulator: a local server speaking the vendor's websocket protocol, for demo, tests and load."""
