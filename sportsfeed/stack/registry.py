"""Local stack: Apicurio Registry 3, serving the Confluent-compatible Schema Registry API.

Runs the pinned Apicurio build on 127.0.0.1 (HTTP and management ports). Ready means the
Confluent-compatible API answers `GET /subjects`. Schemas live in an H2 database in `data_dir`,
so a persistent stack keeps its schema ids across restarts, as the broker keeps the records.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Final

from sportsfeed.core.errors import InfrastructureError
from sportsfeed.stack.processes import ChildServer, free_port, java_executable

REGISTRY_LABEL: Final = "Apicurio Registry 3.0.9"
CCOMPAT_PATH: Final = "/apis/ccompat/v7"
_START_TIMEOUT_S: Final = 120.0


def _launcher(install_dir: Path) -> Path:
    """Apicurio's Quarkus launcher: `quarkus-run.jar` (fast-jar) or `*-runner.jar` (legacy)."""
    fast_jar = install_dir / "quarkus-run.jar"
    if fast_jar.exists():
        return fast_jar
    runners = sorted(install_dir.glob("*-runner.jar"))
    if not runners:
        raise InfrastructureError(f"no Apicurio launcher jar in {install_dir}")
    return runners[0]


class SchemaRegistry:
    """Apicurio on 127.0.0.1 with its database in `data_dir`."""

    def __init__(self, install_dir: Path, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        database = (data_dir / "registry").resolve()
        argv = [
            java_executable(),
            "-Xms128m",
            "-Xmx512m",
            "-Dquarkus.http.host=127.0.0.1",
            f"-Dquarkus.http.port={self.port}",
            "-Dquarkus.management.host=127.0.0.1",
            f"-Dquarkus.management.port={free_port()}",
            f"-Dapicurio.datasource.url=jdbc:h2:file:{database}",
            "-Dquarkus.log.console.format=%d{HH:mm:ss} %-5p [%c{2.}] %s%e%n",
            "-jar",
            str(_launcher(install_dir)),
        ]
        self._server = ChildServer("schema-registry", argv, data_dir / "registry.out", install_dir)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The Confluent-compatible API: what SCHEMA_REGISTRY_URL points at."""
        return self.base_url + CCOMPAT_PATH

    @property
    def pid(self) -> int | None:
        return self._server.pid

    def start(self) -> None:
        self._server.start()
        self._server.wait_until(self._answers, _START_TIMEOUT_S)

    def stop(self) -> None:
        self._server.stop()

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/subjects", timeout=2) as response:  # noqa: S310
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False
