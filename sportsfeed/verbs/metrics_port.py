"""The metrics endpoint's address, checked before a verb starts: a taken port is a setting to fix.

`produce` and `process` each have their own default port, so the two run side by side on one
machine without setting anything; SPORTSFEED_METRICS_PORT, when set, applies to either.
"""

from __future__ import annotations

import errno
import socket
from typing import TypeVar

from sportsfeed.core.errors import SettingsError
from sportsfeed.core.settings import ProcessSettings

PRODUCER_METRICS_PORT = 9464
PROCESSOR_METRICS_PORT = 9465

VerbSettings = TypeVar("VerbSettings", bound=ProcessSettings)


def claim_metrics_port(settings: VerbSettings, default_port: int) -> VerbSettings:
    """The settings with this verb's default port unless SPORTSFEED_METRICS_PORT is set; raise
    SettingsError naming the setting to fix when the endpoint's address cannot be bound."""
    if "metrics_port" not in settings.model_fields_set:
        settings = settings.model_copy(update={"metrics_port": default_port})
    require_free_metrics_port(settings)
    return settings


def require_free_metrics_port(settings: ProcessSettings) -> None:
    """Raise SettingsError naming SPORTSFEED_METRICS_HOST or _PORT when the address cannot be
    bound: a host that is not this machine's (or no host at all), or a port already taken."""
    host, port = settings.metrics_host, settings.metrics_port
    if not port:
        return  # 0: no endpoint
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SettingsError(_unbindable(host, port, exc)) from None


def _unbindable(host: str, port: int, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"SPORTSFEED_METRICS_HOST={host}: the metrics endpoint cannot listen on it "
            f"({reason}); set SPORTSFEED_METRICS_HOST to an address of this machine "
            "(127.0.0.1, or 0.0.0.0 inside a container)"
        )
    return (
        f"SPORTSFEED_METRICS_PORT={port}: {host}:{port} cannot be bound ({reason}); another "
        "process (a producer or worker already running?) holds it: set "
        "SPORTSFEED_METRICS_PORT to a free port, or 0 for no metrics endpoint"
    )
