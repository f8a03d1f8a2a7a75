"""Settings: the one place that reads the environment; every process builds one frozen object.

Each field names its environment variable; `--help` and the README list them from here. Every
value is typed when it is read (enums, literals, a `Shard`, parsed fixture lists), so a bad one
stops the process at load with its variable named, and no later code parses a setting again.
The fields come in groups, one per concern (`KafkaSettings`, `StreamSettings`, ...), composed
per process (`ProducerSettings`, `ProcessorSettings`, `SimulatorSettings`, ...): a verb loads
only the settings it reads, and code takes the narrowest group it needs.
"""

from __future__ import annotations

import enum
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypeVar, get_args, overload

from pydantic import (
    AliasChoices,
    BeforeValidator,
    Field,
    PlainValidator,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sportsfeed.core.errors import SettingsError
from sportsfeed.core.kafka_security import KafkaSecurity, SaslMechanism, SecurityProtocol
from sportsfeed.core.setting_types import (
    Fixture,
    FixturesFile,
    Shard,
    parse_fixture_list,
    parse_names,
)
from sportsfeed.core.topics import normalised_prefix
from sportsfeed.core.vendor import SPORT_NAMES, Channel, Feed, Sport

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
_Typed = TypeVar("_Typed")


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


def _from_text(parse: Callable[[str], Any]) -> BeforeValidator:
    """Parse the variable's text; a value already typed (a default, a copy) passes as it is."""
    return BeforeValidator(lambda value: parse(value) if isinstance(value, str) else value)


def _typed_as(kind: type[_Typed], parse: Callable[[str], _Typed]) -> PlainValidator:
    """Accept a `kind` (or None) as it is, or parse the variable's text into one."""
    return PlainValidator(
        lambda value: value if value is None or isinstance(value, kind) else parse(str(value))
    )


def _url(value: str, schemes: tuple[str, ...]) -> str:
    if not value.startswith(schemes):
        raise ValueError(f"{value!r} does not start with {' or '.join(schemes)}")
    return value.rstrip("/")


def _require_files(settings: BaseSettings, *fields: str) -> None:
    for field in fields:
        path = getattr(settings, field)
        if path is not None and not path.is_file():
            raise ValueError(f"{env_name(field)}: {path} is not a readable file")


def _known_log_level(value: str) -> str:
    level = value.upper()
    if level not in get_args(LogLevel):
        raise ValueError(f"{value!r} is not one of {', '.join(get_args(LogLevel))}")
    return level


_SPORT_CHOICES = ", ".join(sport.slug for sport in Sport)
_FEED_NAMES = {feed.value: feed for feed in Feed}


class _Group(BaseSettings):
    """Settings of one concern, or a process's composed from those: frozen, each field read
    from the environment variable in its `validation_alias` (by no other name)."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=False, extra="ignore")


class KafkaSettings(_Group):
    """How every Kafka and registry client connects: the servers, TLS and SASL."""

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

    @model_validator(mode="after")
    def _external_stack_is_all_or_nothing(self) -> Self:
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
    def _kafka_security_is_complete(self) -> Self:
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
        _require_files(self, "kafka_ssl_ca_file", "kafka_ssl_cert_file", "kafka_ssl_key_file")
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

    @property
    def uses_external_stack(self) -> bool:
        return self.kafka_bootstrap_servers is not None


class TopicSettings(_Group):
    """The topics: their names' prefixes, partitions, replication and raw retention."""

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

    @field_validator("topic_prefix", "raw_topic_prefix")
    @classmethod
    def _prefix_ends_in_separator(cls, value: str | None) -> str | None:
        return None if value is None else normalised_prefix(value)

    @property
    def raw_prefix(self) -> str:
        """Where processors read raw frames: SPORTSFEED_RAW_TOPIC_PREFIX or the topic prefix."""
        return self.raw_topic_prefix or self.topic_prefix


class StackSettings(_Group):
    """The local stack's downloads and data (used when no cluster is given)."""

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


class VendorSettings(_Group):
    """The vendor: its token (the simulator's too), where it is and what to ask it."""

    vendor_token: Annotated[
        SecretStr,
        Field(
            validation_alias=_env("SPORTSFEED_VENDOR_TOKEN"),
            description="The vendor's auth token (secret; the simulator accepts the default).",
        ),
    ] = SecretStr("local-simulator-token")
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
    channel: Annotated[
        Channel,
        Field(
            validation_alias=_env("SPORTSFEED_CHANNEL"),
            description="Vendor channel: betting or media.",
        ),
    ] = Channel.BETTING
    speed: Annotated[
        Literal["normal", "fast"],
        Field(
            validation_alias=_env("SPORTSFEED_SPEED"),
            description="Replay pace asked of the vendor: normal or fast (offline fixtures).",
        ),
    ] = "normal"

    @field_validator("feed_url")
    @classmethod
    def _feed_is_websocket_url(cls, value: str) -> str:
        return _url(value, ("ws://", "wss://"))

    @model_validator(mode="after")
    def _feed_ca_is_a_file(self) -> Self:
        _require_files(self, "feed_ca_file")
        return self

    def feed_ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for the vendor (verifying, trusting SPORTSFEED_FEED_CA_FILE too)."""
        if self.feed_ca_file is None:
            return None  # websockets and httpx verify against the system's CAs by default
        return ssl.create_default_context(cafile=str(self.feed_ca_file))


class StreamSettings(_Group):
    """The producer: which fixtures and feeds it streams, and its pace and patience."""

    fixtures: Annotated[
        tuple[Fixture, ...],
        NoDecode,
        _from_text(parse_fixture_list),
        Field(
            validation_alias=_env("SPORTSFEED_FIXTURES"),
            description="Fixtures to stream: comma-separated sport:fixtureId (e.g. soccer:<uuid>).",
        ),
    ] = ()
    fixtures_file: Annotated[
        FixturesFile | None,
        NoDecode,
        _typed_as(FixturesFile, lambda path: FixturesFile.read(Path(path))),
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
        tuple[Sport, ...],
        NoDecode,
        _from_text(lambda listed: parse_names(listed, SPORT_NAMES, _SPORT_CHOICES)),
        Field(
            validation_alias=_env("SPORTSFEED_DISCOVERY_SPORTS"),
            description="Sports to discover (comma-separated).",
        ),
    ] = tuple(Sport)
    discovery_interval_s: Annotated[
        float,
        Field(
            validation_alias=_env("SPORTSFEED_DISCOVERY_INTERVAL_S"),
            description="Seconds between discovery polls.",
            gt=0,
        ),
    ] = 30.0
    feeds: Annotated[
        tuple[Feed, ...],
        NoDecode,
        _from_text(lambda listed: parse_names(listed, _FEED_NAMES, "actions, statistics")),
        Field(
            validation_alias=_env("SPORTSFEED_FEEDS"),
            description="Feeds to stream per fixture: actions, statistics or both.",
        ),
    ] = (Feed.ACTIONS, Feed.STATISTICS)
    shard: Annotated[
        Shard,
        NoDecode,
        _typed_as(Shard, Shard.parse),
        Field(
            validation_alias=_env("SPORTSFEED_SHARD"),
            description="This producer's share of the fixtures, INDEX/COUNT (e.g. 0/3).",
        ),
    ] = Shard(0, 1)
    liveness_s: Annotated[
        float,
        Field(
            validation_alias=_env("SPORTSFEED_LIVENESS_S"),
            description="No heartbeat nor data for this long: the connection is dead.",
            gt=0,
        ),
    ] = 25.0
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
    transaction_ms: Annotated[
        int,
        Field(
            validation_alias=_env("SPORTSFEED_TRANSACTION_MS"),
            description="How often the producer commits its transaction: read_committed readers "
            "see a frame up to this much later, and each commit holds new frames back about "
            "20 ms.",
            ge=10,
            le=60_000,
        ),
    ] = 500

    @field_validator("discovery_url")
    @classmethod
    def _discovery_is_http_url(cls, value: str | None) -> str | None:
        return None if value is None or value == "" else _url(value, ("http://", "https://"))

    @property
    def configured_fixtures(self) -> tuple[Fixture, ...]:
        """The fixtures of SPORTSFEED_FIXTURES, then those of SPORTSFEED_FIXTURES_FILE."""
        from_file = self.fixtures_file.fixtures if self.fixtures_file is not None else ()
        return self.fixtures + from_file


class LifetimeSettings(_Group):
    """How long the producer and the processors vouch for and remember a fixture."""

    lease_s: Annotated[
        float,
        Field(
            validation_alias=_env("SPORTSFEED_LEASE_S"),
            description="How long a producer's liveness record (renewed every second) and a "
            "processor's OPEN market-state vouch for a fixture; at least 2.",
            ge=2,
        ),
    ] = 3.0
    finished_state_ttl_s: Annotated[
        float,
        Field(
            validation_alias=_env("SPORTSFEED_FINISHED_STATE_TTL_S"),
            description="How long a finished fixture keeps its full state for late corrections "
            "(processor) and a finished stream is remembered (producer).",
            gt=0,
        ),
    ] = 6 * 3600.0


class WorkerSettings(_Group):
    """The processors' state store, group membership, fetching and stall limit."""

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


class ProcessSettings(_Group):
    """Every long-running process: its logs, metrics endpoint and shutdown."""

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
        LogLevel,
        _from_text(_known_log_level),
        Field(
            validation_alias=_env("SPORTSFEED_LOG_LEVEL"),
            description="Log level: DEBUG, INFO, WARNING or ERROR.",
        ),
    ] = "INFO"


# -- what each process reads: the groups composed -------------------------------------------


class ConnectionSettings(StackSettings, KafkaSettings):
    """Where Kafka and the registry are: your own cluster, or a local stack started for you."""


class ClusterSettings(ProcessSettings, TopicSettings, ConnectionSettings):
    """The settings of the verbs that read or write the topics (topics, tail, replay, ...)."""


class ProducerSettings(ClusterSettings, VendorSettings, StreamSettings, LifetimeSettings):
    """The producer's settings (`sportsfeed produce`)."""


class ProcessorSettings(ClusterSettings, WorkerSettings, LifetimeSettings):
    """The processor's settings (`sportsfeed process`)."""


class SimulatorSettings(ProcessSettings, VendorSettings):
    """The simulator's settings (`sportsfeed simulate`): it serves the vendor's token."""


class Settings(ProducerSettings, ProcessorSettings):
    """Every setting: for `sportsfeed demo`, which runs the whole pipeline in one process, and
    for `--help`."""


# The groups in the order `--help` and the README list them.
GROUPS: tuple[type[_Group], ...] = (
    KafkaSettings,
    TopicSettings,
    StackSettings,
    VendorSettings,
    StreamSettings,
    LifetimeSettings,
    WorkerSettings,
    ProcessSettings,
)

SECRET_VARIABLES = frozenset(
    {"SPORTSFEED_VENDOR_TOKEN", "KAFKA_SASL_PASSWORD"}
)  # never echoed in an error


def env_name(field: str) -> str:
    """The environment variable that sets `field`."""
    alias = Settings.model_fields[field].validation_alias
    if not isinstance(alias, AliasChoices):
        raise TypeError(f"setting {field} has no environment variable")
    return str(alias.choices[0])


def _shown(value: object) -> str:
    """A setting's value as its variable would spell it (for --help)."""
    if value is None:
        return "unset"
    if isinstance(value, tuple | frozenset):
        return ",".join(_shown(item) for item in value)
    if isinstance(value, Sport):
        return value.slug
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)  # SecretStr shows as **********


def describe_settings() -> str:
    """One line per setting: its environment variable, default and meaning (for --help)."""
    lines = ["settings (environment variables):"]
    for group in GROUPS:
        lines.append(f" {group.__doc__}")
        for name, field in group.model_fields.items():
            default = _shown(field.get_default(call_default_factory=True))
            lines.append(f"  {env_name(name):<32} {field.description} [default: {default}]")
    return "\n".join(lines)


_Loaded = TypeVar("_Loaded", bound=_Group)


@overload
def load_settings() -> Settings: ...
@overload
def load_settings(kind: type[_Loaded]) -> _Loaded: ...
def load_settings(kind: type[_Group] = Settings) -> _Group:
    """Read the settings of `kind` (a process's, or all of them) from the environment, or raise
    SettingsError naming each bad one."""
    try:
        return kind()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if not error["loc"]:  # a check across settings: its message names each of them
                problems.append(message)
                continue
            # pydantic locates a field by its alias, which is the environment variable's name
            where = str(error["loc"][0])
            given = repr(error.get("input"))
            if where not in SECRET_VARIABLES and given not in message:
                message += f" (got {given})"
            problems.append(f"{where}: {message}{_meaning(kind, where)}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None


def _meaning(kind: type[_Group], variable: str) -> str:
    """What a setting is for and its default, to say what to write instead of a bad value."""
    for name, field in kind.model_fields.items():
        if env_name(name) == variable:
            default = _shown(field.get_default(call_default_factory=True))
            return f". ({field.description} Default: {default}.)"
    return ""
