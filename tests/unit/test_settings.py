"""Settings: read from the environment, and a bad one is named with what to do."""

from __future__ import annotations

import pytest

from sportsfeed.cli import build_parser, main
from sportsfeed.errors import SettingsError
from sportsfeed.settings import Settings, env_name, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for field in Settings.model_fields:
        monkeypatch.delenv(env_name(field), raising=False)


def test_defaults_run_the_local_stack() -> None:
    settings = load_settings()
    assert not settings.uses_external_stack
    assert settings.topic_prefix == "sportsfeed."


def test_external_stack_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "http://registry:8081/")
    settings = load_settings()
    assert settings.kafka_bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert settings.schema_registry_url == "http://registry:8081"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("KAFKA_BOOTSTRAP_SERVERS", "kafka-1"),
        ("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:port"),
        ("SCHEMA_REGISTRY_URL", "registry:8081"),
        ("SPORTSFEED_FEED_URL", "http://vendor"),
        ("SPORTSFEED_DISCOVERY_URL", "ws://vendor"),
        ("SPORTSFEED_SHARD", "3"),
        ("SPORTSFEED_CHANNEL", "radio"),
        ("SPORTSFEED_PARTITIONS", "0"),
    ],
)
def test_malformed_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "http://registry:8081")
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=f"{variable}: .*{value}"):
        load_settings()


@pytest.mark.parametrize("missing", ["KAFKA_BOOTSTRAP_SERVERS", "SCHEMA_REGISTRY_URL"])
def test_half_an_external_stack_is_refused(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "http://registry:8081")
    monkeypatch.delenv(missing)
    with pytest.raises(SettingsError, match=f"{missing} is unset"):
        load_settings()


def test_bad_log_level_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPORTSFEED_LOG_LEVEL", "LOUD")
    with pytest.raises(SettingsError, match="SPORTSFEED_LOG_LEVEL: 'LOUD'"):
        load_settings()


def test_command_exits_2_naming_the_bad_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "nope")
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "http://registry:8081")
    assert main(["stack", "--fetch-only"]) == 2
    assert "KAFKA_BOOTSTRAP_SERVERS" in capsys.readouterr().err


def test_help_lists_every_setting_by_its_variable() -> None:
    help_text = build_parser().format_help()
    for field in Settings.model_fields:
        assert env_name(field) in help_text


def test_every_verb_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    verbs = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for verb in verbs:
        with pytest.raises(SystemExit) as exited:
            parser.parse_args([verb, "--help"])
        assert exited.value.code == 0
        assert f"usage: sportsfeed {verb}" in capsys.readouterr().out
