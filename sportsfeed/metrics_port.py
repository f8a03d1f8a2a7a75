"""The metrics endpoint's port, checked before a verb starts: a taken port is a setting to fix."""

from __future__ import annotations

import socket

from sportsfeed.errors import SettingsError
from sportsfeed.settings import Settings


def require_free_metrics_port(settings: Settings) -> None:
    """Raise SettingsError naming SPORTSFEED_METRICS_PORT when its address cannot be bound."""
    host, port = settings.metrics_host, settings.metrics_port
    if not port:
        return  # 0: no endpoint
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SettingsError(
                f"SPORTSFEED_METRICS_PORT={port}: {host}:{port} cannot be bound ({exc.strerror}); "
                "another process (a producer or worker already running?) holds it: set "
                "SPORTSFEED_METRICS_PORT to a free port, or 0 for no metrics endpoint"
            ) from None
