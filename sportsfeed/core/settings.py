"""Settings: the one place that reads the environment; every process builds one frozen object.

Each field names its environment variable; `--help` and the README list them from here.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from sportsfeed.core.errors import SettingsError
from sportsfeed.core.kafka_security import KafkaSecurity, SaslMechanism, SecurityProtocol
from sportsfeed.core.topics import normalised_prefix
from sportsfeed.core.vendor import SPORT_NAMES, Feed


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """sportsfeed's settings, each from the environment variable in its `validation_alias`."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=False, extra="ignore")

    kafka_bootstrap_servers: Annotated[
        str | None,
        Field(
            validation_alias=_env("KAFKA_BOOTSTRAP_SERVERS"),
            description="Kafka bootstrap servers (host:port,...). Unset: start a local broker.",
        ),
    ] = None
    schema_registry_url: Annotated[
        str | None,
        Field(
            validation_alias=_env("SCHEMA_REGISTRY_URL"),
            description="Confluent-compatible Schema Registry URL. Unset: start a local one.",
        ),
    ] = None
    kafka_security_protocol: Annotated[
        SecurityProtocol,
        Field(
            validation_alias=_env("KAFKA_SECURITY_PROTOCOL"),
            description="Kafka security: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.",
        ),
    ] = "PLAINTEXT"
    kafka_sasl_mechanism: Annotated[
        SaslMechanism | None,
        Field(
            validation_alias=_env("KAFKA_SASL_MECHANISM"),
            description="SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (Strimzi's).",
        ),
    ] = None
    kafka_sasl_username: Annotated[
        str | None,
        Field(validation_alias=_env("KAFKA_SASL_USERNAME"), description="SASL user name."),
    ] = None
    kafka_sasl_password: Annotated[
        SecretStr | None,
        Field(validation_alias=_env("KAFKA_SASL_PASSWORD"), description="SASL password (secret)."),
    ] = None
    kafka_ssl_ca_file: Annotated[
        Path | None,
        Field(
            validation_alias=_env("KAFKA_SSL_CA_FILE"),
            description="PEM file of the CA that signed the brokers' certificates. "
            "Unset: the system's CAs.",
        ),
    ] = None
    kafka_ssl_cert_file: Annotated[
        Path | None,
        Field(
            validation_alias=_env("KAFKA_SSL_CERT_FILE"),
            description="PEM client certificate, for brokers that require mutual TLS.",
        ),
    ] = None
    kafka_ssl_key_file: Annotated[
        Path | None,
        Field(
            validation_alias=_env("KAFKA_SSL_KEY_FILE"),
            description="PEM private key of KAFKA_SSL_CERT_FILE.",
        ),
    ] = None
    topic_prefix: Annotated[
        str,
        Field(
            validation_alias=_env("SPORTSFEED_TOPIC_PREFIX"),
            description="Prefix of every topic name.",
        ),
    ] = "sportsfeed."
    raw_topic_prefix: Annotated[
        str | None,
        Field(
            validation_alias=_env("SPORTSFEED_RAW_TOPIC_PREFIX"),
            description="Prefix of the raw topics processors read (replay elsewhere). "
            "Unset: SPORTSFEED_TOPIC_PREFIX.",
        ),
    ] = None
    cache_dir: Annotated[
        Path,
        Field(
            validation_alias=_env("SPORTSFEED_CACHE_DIR"),
            description="Where the local broker's and registry's downloads are kept.",
        ),
    ] = Path.home() / ".cache" / "sportsfeed"
    data_dir: Annotated[
        Path,
        Field(
            validation_alias=_env("SPORTSFEED_DATA_DIR"),
            description="Where the local broker and registry keep their data between runs.",
        ),
    ] = Path.home() / ".local" / "share" / "sportsfeed"
    maven_repository: Annotated[
        str | None,
        Field(
            validation_alias=_env("SPORTSFEED_MAVEN_REPOSITORY"),
            description="Maven repository URL for the local stack's jars. Unset: ask `mvn`.",
        ),
    ] = None
    vendor_token: Annotated[
        SecretStr,
        ValidationInfo,
        Field(
            validation_alias=_env("SPORTSFEED_VENDOR_TOKEN"),
            description="The vendor's auth token (secret; the simulator accepts the default).",
        ),
    ] = SecretStr("local-simulator-token")
    partitions: Annotated[
        int,
        Field(
            validation_alias=_env("SPORTSFEED_PARTITIONS"),
            description="Partitions of every topic (all topics share one count).",
            gt=0,
        ),
    ] = 4
    replication: Annotated[
        int,
        Field(
            validation_alias=_env("SPORTSFEED_REPLICATION"),
            description="Replication factor of every topic.",
            gt=0,
        ),
    ] = 1
    raw_retention_ms: Annotated[
        int,
        Field(
            validation_alias=_env("SPORTSFEED_RAW_RETENTION_MS"),
            description="Retention of the raw topics in ms (-1: forever, the replay source).",
            ge=-1,
        ),
    ] = -1
    # -- producer -------------------------------------------------------------------------
    feed_url: Annotated[
        str,
        Field(
            validation_alias=_env("SPORTSFEED_FEED_URL"),
            description="Vendor websocket host (ws:// or wss://); the default is the simulator.",
        ),
    ] = "ws://127.0.0.1:8765"
    feed_ca_file: Annotated[
        Path | None,
        Field(
            validation_alias=_env("SPORTSFEED_FEED_CA_FILE"),
            description="PEM file of a CA to trust for wss:// and the discovery URL (e.g. a "
            "TLS-inspecting proxy's). Unset: the system's CAs. Certificates are always verified.",
        ),
    ] = None
    fixtures: Annotated[
        str,
        Field(
            validation_alias=_env("SPORTSFEED_FIXTURES"),
            description="Fixtures to stream: comma-separated sport:fixtureId (e.g. soccer:<uuid>).",
        ),
    ] = ""
    fixtures_file: Annotated[
        Path | None,
        Field(
            validation_alias=_env("SPORTSFEED_FIXTURES_FILE"),
            description="File of fixtures to stream, one `sport fixtureId` a line.",
        ),
    ] = None
    discovery_url: Annotated[
        str | None,
        Field(
            validation_alias=_env("SPORTSFEED_DISCOVERY_URL"),
            description="Vendor REST base URL to discover live fixtures from; unset: off.",
        ),
    ] = None
    discovery_sports: Annotated[
        str,
        Field(
            validation_alias=_env("SPORTSFEED_DISCOVERY_SPORTS"),
            description="Sports to discover (comma-separated).",
        ),
    ] = "soccer,basketball,volleyball,snooker,tabletennis"
    discovery_interval_s: Annotated[
        float,
        Field(
            validation_alias=_env("SPORTSFEED_DISCOVERY_INTERVAL_S"),
            description="Seconds between discovery polls.",
            gt=0,
        ),
    ] = 30.0
    feeds: Annotated[
        str,
        Field(
            validation_alias=_env("SPORTSFEED_FEEDS"),
            description="Feeds to stream per fixture: actions, statistics or both.",
        ),
    ] = "actions,statistics"
    channel: Annotated[
        str,
        Field(
            validation_alias=_env("SPORTSFEED_CHANNEL"),
            description="Vendor channel: betting or media.",
            pattern="^(betting|media)$",
        ),
    ] = "betting"
    speed: Annotated[
        str,
        Field(
            validation_alias=_env("SPORTSFEED_SPEED"),
            description="Replay pace asked of the vendor: normal or fast (offline fixtures).",
            pattern="^(normal|fast)$",
        ),
    ] = "normal"
    shard: Annotated[
        str,
        Field(
            validation_alias=_env("SPORTSFEED_SHARD"),
            description="This producer's share of the fixtures, INDEX/COUNT (e.g. 0/3).",
            pattern=r"^\d+/[1-9]\d*$",
        ),
    ] = "0/1"
    liveness_s: Annotated[
        float,
        Field(
            validation_alias=_env("SPORTSFEED_LIVENESS_S"),
            description="No heartbeat nor data for this long: the connection is dead.",
            gt=0,
        ),
    ] = 25.0
    lease_s: Annotated[
        float,
        Field(
            validation_alias=_env("SPORTSFEED_LEASE_S"),
            description="How long a producer's liveness record (renewed every second) and a "
            "processor's OPEN market-state vouch for a fixture; at least 2.",
            ge=2,
        ),
    ] = 3.0
    connects_per_s: Annotated[
        float,
        Field(
            validation_alias=_env("SPORTSFEED_CONNECTS_PER_S"),
            description="Most connection attempts per second (the vendor asks for 5).",
            gt=0,
        ),
    ] = 5.0
    auth_retry_s: Annotated[
        float,
        Field(
            validation_alias=_env("SPORTSFEED_AUTH_RETRY_S"),
            description="Wait after an authentication failure before trying again.",
            gt=0,
        ),
    ] = 300.0
    exit_on_auth_failure: Annotated[
        bool,
        Field(
            validation_alias=_env("SPORTSFEED_EXIT_ON_AUTH_FAILURE"),
            description="End the process on an authentication failure instead of retrying.",
        ),
    ] = False
    kafka_outage_limit_s: Annotated[
        float,
        Field(
            validation_alias=_env("SPORTSFEED_KAFKA_OUTAGE_LIMIT_S"),
            description="How long Kafka may be unreachable before the producer gives up.",
            gt=0,
        ),
    ] = 120.0
    max_unacked: Annotated[
        int,
        Field(
            validation_alias=_env("SPORTSFEED_MAX_UNACKED"),
            description="Frames sent to Kafka but not yet acknowledged before reading pauses.",
            gt=0,
        ),
    ] = 20_000
    store: Annotated[
        Literal["rocksdict", "memory"],
        Field(
            validation_alias=_env("SPORTSFEED_STORE"),
            description="Processor state store: rocksdict (on disk, production) or memory.",
        ),
    ] = "rocksdict"
    rocksdb_memory_mb: Annotated[
        int,
        Field(
            validation_alias=_env("SPORTSFEED_ROCKSDB_MEMORY_MB"),
            description="Memory RocksDB may use per table partition (write buffers and cache).",
            ge=8,
        ),
    ] = 32
    finished_state_ttl_s: Annotated[
        float,
        Field(
            validation_alias=_env("SPORTSFEED_FINISHED_STATE_TTL_S"),
            description="How long a finished fixture keeps its full state for late corrections "
            "(processor) and a finished stream is remembered (producer).",
            gt=0,
        ),
    ] = 6 * 3600.0
    session_timeout_s: Annotated[
        float,
        Field(
            validation_alias=_env("SPORTSFEED_SESSION_TIMEOUT_S"),
            description="How long a silent processor keeps its partitions before they move.",
            ge=6,
        ),
    ] = 10.0
    fetch_max_wait_ms: Annotated[
        int,
        Field(
            validation_alias=_env("SPORTSFEED_FETCH_MAX_WAIT_MS"),
            description="How long the processor's fetch waits at the broker for records that "
            "have not arrived; a busy partition's next records can wait behind it.",
            ge=0,
            le=1500,
        ),
    ] = 10
    stall_limit_s: Annotated[
        float,
        Field(
            validation_alias=_env("SPORTSFEED_STALL_LIMIT_S"),
            description="A processor with records behind and no progress for this long exits.",
            gt=0,
        ),
    ] = 60.0
    shutdown_grace_s: Annotated[
        float,
        Field(
            validation_alias=_env("SPORTSFEED_SHUTDOWN_GRACE_S"),
            description="How long a stopping process may take before it is ended regardless.",
            gt=0,
        ),
    ] = 30.0
    metrics_port: Annotated[
        int,
        Field(
            validation_alias=_env("SPORTSFEED_METRICS_PORT"),
            description="Port of the Prometheus metrics and health endpoint; 0: none "
            "(process: 9465 unless set).",
            ge=0,
            le=65535,
        ),
    ] = 9464
    metrics_host: Annotated[
        str,
        Field(
            validation_alias=_env("SPORTSFEED_METRICS_HOST"),
            description="Address the metrics endpoint binds (0.0.0.0 only inside a container).",
        ),
    ] = "127.0.0.1"
    log_level: Annotated[
        str,
        Field(
            validation_alias=_env("SPORTSFEED_LOG_LEVEL"),
            description="Log level: DEBUG, INFO, WARNING or ERROR.",
        ),
    ] = "INFO"

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _bootstrap_is_host_port_list(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(
                    f"{server!r} is not host:port; write e.g. kafka-1:9092,kafka-2:9092"
                )
        return value

    @field_validator("schema_registry_url")
    @classmethod
    def _registry_is_http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL; write e.g. http://registry:8081")
        return value.rstrip("/")

    @field_validator("feed_url", "discovery_url")
    @classmethod
    def _is_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or value == "":
            return None
        schemes = ("ws://", "wss://") if info.field_name == "feed_url" else ("http://", "https://")
        if not value.startswith(schemes):
            raise ValueError(f"{value!r} does not start with {' or '.join(schemes)}")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"{value!r} is not one of DEBUG, INFO, WARNING, ERROR")
        return level

    @field_validator("feeds")
    @classmethod
    def _known_feeds(cls, value: str) -> str:
        return ",".join(_known_names(value, {f.value: f.value for f in Feed}))

    @field_validator("discovery_sports")
    @classmethod
    def _known_sports(cls, value: str) -> str:
        names = {name: sport.slug for name, sport in SPORT_NAMES.items()}
        return ",".join(_known_names(value, names))

    @field_validator("shard")
    @classmethod
    def _shard_index_below_count(cls, value: str) -> str:
        index, count = (int(part) for part in value.split("/"))
        if index >= count:
            raise ValueError(f"{value!r}: INDEX counts from 0 and must be below COUNT (0/{count} "
                             f"to {count - 1}/{count})")  # fmt: skip
        return value

    @field_validator("fixtures_file")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{str(value)!r} is not a file; give a file of `sport fixtureId` "
                             "lines, or unset it")  # fmt: skip
        return value

    @field_validator("topic_prefix", "raw_topic_prefix")
    @classmethod
    def _prefix_ends_in_separator(cls, value: str | None) -> str | None:
        return None if value is None else normalised_prefix(value)

    @model_validator(mode="after")
    def _external_stack_is_all_or_nothing(self) -> Settings:
        if (self.kafka_bootstrap_servers is None) != (self.schema_registry_url is None):
            missing = (
                "SCHEMA_REGISTRY_URL"
                if self.schema_registry_url is None
                else "KAFKA_BOOTSTRAP_SERVERS"
            )
            raise ValueError(
                f"{missing} is unset: set both KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL "
                "to use your own cluster, or neither to run the local stack"
            )
        return self

    @model_validator(mode="after")
    def _kafka_security_is_complete(self) -> Settings:
        protocol = self.kafka_security_protocol
        if protocol != "PLAINTEXT" and not self.uses_external_stack:
            raise ValueError(
                f"KAFKA_SECURITY_PROTOCOL={protocol} needs your own cluster: set "
                "KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL (the local broker is plaintext)"
            )
        if protocol.startswith("SASL_"):
            for field in ("kafka_sasl_mechanism", "kafka_sasl_username", "kafka_sasl_password"):
                if getattr(self, field) is None:
                    raise ValueError(
                        f"{env_name(field)} is unset: KAFKA_SECURITY_PROTOCOL={protocol} needs "
                        "KAFKA_SASL_MECHANISM (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512), "
                        "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
                    )
        if (self.kafka_ssl_cert_file is None) != (self.kafka_ssl_key_file is None):
            raise ValueError(
                "set both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE for mutual TLS, or neither"
            )
        for field in ("kafka_ssl_ca_file", "kafka_ssl_cert_file", "kafka_ssl_key_file",
                      "feed_ca_file"):  # fmt: skip
            path = getattr(self, field)
            if path is not None and not path.is_file():
                raise ValueError(f"{env_name(field)}: {path} is not a readable file")
        return self

    @property
    def kafka_security(self) -> KafkaSecurity:
        """The Kafka clients' TLS and SASL settings."""
        return KafkaSecurity(
            protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            sasl_username=self.kafka_sasl_username,
            sasl_password=self.kafka_sasl_password,
            ca_file=self.kafka_ssl_ca_file,
            cert_file=self.kafka_ssl_cert_file,
            key_file=self.kafka_ssl_key_file,
        )

    def feed_ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for the vendor (verifying, trusting SPORTSFEED_FEED_CA_FILE too)."""
        if self.feed_ca_file is None:
            return None  # websockets and httpx verify against the system's CAs by default
        return ssl.create_default_context(cafile=str(self.feed_ca_file))

    @property
    def raw_prefix(self) -> str:
        """Where processors read raw frames: SPORTSFEED_RAW_TOPIC_PREFIX or the topic prefix."""
        return self.raw_topic_prefix or self.topic_prefix

    @property
    def uses_external_stack(self) -> bool:
        return self.kafka_bootstrap_servers is not None


def _known_names(listed: str, known: dict[str, str]) -> list[str]:
    """The comma-separated names of `listed`, each mapped by `known`; ValueError naming the rest."""
    names = [name.strip().lower() for name in listed.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        choices = ", ".join(dict.fromkeys(known.values()))
        raise ValueError(f"{', '.join(unknown) or 'nothing'} is not among {choices}; list "
                         "one or more, comma-separated")  # fmt: skip
    return list(dict.fromkeys(known[name] for name in names))


SECRET_VARIABLES = frozenset(
    {"SPORTSFEED_VENDOR_TOKEN", "KAFKA_SASL_PASSWORD"}
)  # never echoed in an error


def env_name(field: str) -> str:
    """The environment variable that sets `field`."""
    alias = Settings.model_fields[field].validation_alias
    if not isinstance(alias, AliasChoices):
        raise TypeError(f"setting {field} has no environment variable")
    return str(alias.choices[0])


def describe_settings() -> str:
    """One line per setting: its environment variable, default and meaning (for --help)."""
    lines = ["settings (environment variables):"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        shown = "unset" if default is None else str(default)  # SecretStr shows as **********
        lines.append(f"  {env_name(name):<32} {field.description} [default: {shown}]")
    return "\n".join(lines)


def load_settings() -> Settings:
    """Read the settings from the environment, or raise SettingsError naming the bad one."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if not error["loc"]:  # a check across settings: its message names each of them
                problems.append(message)
                continue
            # pydantic locates a field by its alias, which is the environment variable's name
            where = str(error["loc"][0])
            shown = repr(error.get("input"))
            if where not in SECRET_VARIABLES and shown not in message:
                message += f" (got {shown})"
            problems.append(f"{where}: {message}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
