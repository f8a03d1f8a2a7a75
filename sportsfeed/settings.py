"""Settings: the one place that reads the environment; every process builds one frozen object.

Each field names its environment variable; `--help` and the README list them from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from sportsfeed.errors import SettingsError


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
    topic_prefix: Annotated[
        str,
        Field(
            validation_alias=_env("SPORTSFEED_TOPIC_PREFIX"),
            description="Prefix of every topic name.",
        ),
    ] = "sportsfeed."
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
        Field(
            validation_alias=_env("SPORTSFEED_VENDOR_TOKEN"),
            description="The vendor's auth token (secret; the simulator accepts the default).",
        ),
    ] = SecretStr("local-simulator-token")
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

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"{value!r} is not one of DEBUG, INFO, WARNING, ERROR")
        return level

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

    @property
    def uses_external_stack(self) -> bool:
        return self.kafka_bootstrap_servers is not None


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
        lines.append(f"  {env_name(name):<26} {field.description} [default: {shown}]")
    return "\n".join(lines)


def load_settings() -> Settings:
    """Read the settings from the environment, or raise SettingsError naming the bad one."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            # pydantic locates a field by its alias, which is the environment variable's name
            where = str(error["loc"][0]) if error["loc"] else "settings"
            problems.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
