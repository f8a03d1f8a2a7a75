"""Local stack: a single-node Apache Kafka 4 broker (KRaft, combined broker and controller).

Runs the pinned jars from `artifacts.lock` on 127.0.0.1. Ready means the broker answers a real
Kafka ApiVersions request, not merely that a port accepts connections.
"""

from __future__ import annotations

import base64
import json
import socket
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Final

from sportsfeed.core.errors import InfrastructureError
from sportsfeed.stack.processes import (
    ChildServer,
    free_port,
    java_executable,
    port_is_free,
    run,
)

KAFKA_LABEL: Final = "Apache Kafka 4.1.1"
_API_VERSIONS_KEY: Final = 18
_START_TIMEOUT_S: Final = 90.0

ApiVersions = dict[int, tuple[int, int]]


def api_versions(host: str, port: int, timeout_s: float = 2.0) -> ApiVersions:
    """Ask a broker which API versions it supports (ApiVersions v0): {api_key: (min, max)}."""
    client_id = b"sportsfeed-probe"
    body = struct.pack(">hhih", _API_VERSIONS_KEY, 0, 1, len(client_id)) + client_id
    with socket.create_connection((host, port), timeout=timeout_s) as connection:
        connection.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", _read_exactly(connection, 4))[0]
        payload = _read_exactly(connection, size)
    _correlation, error, count = struct.unpack_from(">ihi", payload, 0)
    if error != 0:
        raise OSError(f"ApiVersions answered error code {error}")
    entries = struct.iter_unpack(">hhh", payload[10 : 10 + 6 * count])
    return {key: (low, high) for key, low, high in entries}


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = connection.recv(size - len(chunks))
        if not chunk:
            raise OSError("connection closed mid-response")
        chunks += chunk
    return bytes(chunks)


@dataclass(frozen=True)
class KafkaPorts:
    broker: int
    controller: int

    @classmethod
    def reuse_or_pick(cls, remembered: Path) -> KafkaPorts:
        """The ports this data directory used before, if free (KRaft remembers them), else new."""
        if remembered.exists():
            saved = cls(**json.loads(remembered.read_text(encoding="utf-8")))
            if port_is_free(saved.broker) and port_is_free(saved.controller):
                return saved
        ports = cls(broker=free_port(), controller=free_port())
        remembered.write_text(json.dumps(ports.__dict__), encoding="utf-8")
        return ports


@dataclass(frozen=True)
class SaslSslListener:
    """A second listener, SASL_SSL, for trying secured clients against the local broker.

    It accepts PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 for every user in `users` (name to
    password) and presents the certificate in `keystore`: a PEM file holding the unencrypted
    private key followed by the certificate chain.
    """

    port: int
    keystore: Path
    users: dict[str, str]

    MECHANISMS: ClassVar = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")

    def broker_config(self) -> dict[str, str]:
        plain_users = " ".join(f'user_{name}="{word}"' for name, word in self.users.items())
        prefix = "listener.name.sasl_ssl"
        return {
            "sasl.enabled.mechanisms": ",".join(self.MECHANISMS),
            f"{prefix}.plain.sasl.jaas.config": (
                f"org.apache.kafka.common.security.plain.PlainLoginModule required {plain_users};"
            ),
            **{
                f"{prefix}.{scram.lower()}.sasl.jaas.config": (
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;"
                )
                for scram in self.MECHANISMS[1:]
            },
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.keystore),
        }

    def scram_arguments(self) -> list[str]:
        """StorageTool `--add-scram` arguments: the SCRAM users exist from the first start."""
        return [
            argument
            for name, word in self.users.items()
            for scram in self.MECHANISMS[1:]
            for argument in ("--add-scram", f"{scram}=[name={name},password={word}]")
        ]


class KafkaBroker:
    """One KRaft node on 127.0.0.1 with its data in `data_dir`."""

    def __init__(
        self, libs: Path, data_dir: Path, partitions: int = 1, sasl: SaslSslListener | None = None
    ) -> None:
        self._libs = libs
        self._data_dir = data_dir
        self._partitions = partitions
        self._sasl = sasl
        data_dir.mkdir(parents=True, exist_ok=True)
        self.ports = KafkaPorts.reuse_or_pick(data_dir / "ports.json")
        self._server = ChildServer(
            "kafka",
            self._java_argv("kafka.Kafka", str(self._config)),
            data_dir / "kafka.out",
            data_dir,
        )

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.ports.broker}"

    @property
    def pid(self) -> int | None:
        return self._server.pid

    @property
    def server_log(self) -> Path:
        return self._data_dir / "server.log"

    @property
    def _config(self) -> Path:
        return self._data_dir / "server.properties"

    def start(self) -> None:
        self._write_config()
        if not (self._data_dir / "log" / "meta.properties").exists():
            self._format_storage()
        self._server.start()
        self._server.wait_until(self._answers, _START_TIMEOUT_S)

    def stop(self) -> None:
        self._server.stop()

    def _answers(self) -> bool:
        try:
            api_versions("127.0.0.1", self.ports.broker)
        except OSError:
            return False
        return True

    def _format_storage(self) -> None:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        argv = self._java_argv(
            "kafka.tools.StorageTool",
            "format",
            "--standalone",
            f"--cluster-id={cluster_id}",
            "-c",
            str(self._config),
            *(self._sasl.scram_arguments() if self._sasl else []),
        )
        done = run(argv, timeout_s=120)
        if done.returncode != 0:
            raise InfrastructureError(
                f"formatting Kafka storage failed:\n{done.stdout}{done.stderr}"
            )

    def _java_argv(self, main_class: str, *args: str) -> list[str]:
        return [
            java_executable(),
            "-Xms256m",
            "-Xmx1g",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self._log_config()}",
            "-cp",
            f"{self._libs}/*",
            main_class,
            *args,
        ]

    def _log_config(self) -> Path:
        path = self._data_dir / "log4j2.properties"
        path.write_text(
            "status = warn\n"
            "appender.file.type = File\n"
            "appender.file.name = file\n"
            f"appender.file.fileName = {self.server_log}\n"
            "appender.file.layout.type = PatternLayout\n"
            "appender.file.layout.pattern = [%d] %p %m (%c)%n\n"
            "rootLogger.level = INFO\n"
            "rootLogger.appenderRef.file.ref = file\n",
            encoding="utf-8",
        )
        return path

    def _write_config(self) -> None:
        broker, controller = self.ports.broker, self.ports.controller
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "listeners": f"PLAINTEXT://127.0.0.1:{broker},CONTROLLER://127.0.0.1:{controller}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{broker}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller}",
            "log.dirs": str(self._data_dir / "log"),
            "num.partitions": str(self._partitions),
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "4",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
        }
        if self._sasl is not None:
            secured = f"SASL_SSL://127.0.0.1:{self._sasl.port}"
            settings["listeners"] += f",{secured}"
            settings["advertised.listeners"] += f",{secured}"
            settings["listener.security.protocol.map"] += ",SASL_SSL:SASL_SSL"
            settings.update(self._sasl.broker_config())
        self._config.write_text(
            "".join(f"{key}={value}\n" for key, value in settings.items()), encoding="utf-8"
        )
