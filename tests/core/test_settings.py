"""Settings: read from the environment, and a bad one is named with what to do."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from sportsfeed.cli import build_parser, main
from sportsfeed.core.errors import SettingsError
from sportsfeed.core.settings import Settings, env_name, load_settings
from tests.certificates import issue


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


def _own_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9093")
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "http://registry:8081")


def test_sasl_ssl_settings_become_client_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _own_cluster(monkeypatch)
    ca = tmp_path / "ca.pem"
    ca.write_text(issue(tmp_path / "tls").ca.read_text())
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "app")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("KAFKA_SSL_CA_FILE", str(ca))
    options = load_settings().kafka_security.client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("app", "s3cret")
    context = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert len(context.get_ca_certs()) >= 1


def test_plaintext_is_the_default_and_has_no_tls() -> None:
    assert load_settings().kafka_security.client_options() == {"security_protocol": "PLAINTEXT"}


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        (
            {
                "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "KAFKA_SASL_USERNAME": "app",
                "KAFKA_SASL_PASSWORD": "s3cret",
            },
            "KAFKA_SASL_MECHANISM",
        ),
        (
            {
                "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "KAFKA_SASL_MECHANISM": "PLAIN",
                "KAFKA_SASL_USERNAME": "app",
            },
            "KAFKA_SASL_PASSWORD",
        ),
        (
            {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CA_FILE": "/nonexistent/ca.pem"},
            "KAFKA_SSL_CA_FILE",
        ),
        (
            {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CERT_FILE": "/etc/hostname"},
            "KAFKA_SSL_KEY_FILE",
        ),
        (
            {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "GSSAPI"},
            "KAFKA_SASL_MECHANISM",
        ),
        ({"KAFKA_SECURITY_PROTOCOL": "TLS"}, "KAFKA_SECURITY_PROTOCOL"),
        ({"SPORTSFEED_FEED_CA_FILE": "/nonexistent/vendor-ca.pem"}, "SPORTSFEED_FEED_CA_FILE"),
    ],
)
def test_incomplete_kafka_security_is_named(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], named: str
) -> None:
    _own_cluster(monkeypatch)
    for variable, value in variables.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=named) as refused:
        load_settings()
    assert "s3cret" not in str(refused.value)


def test_kafka_security_needs_your_own_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SSL")
    with pytest.raises(SettingsError, match="KAFKA_SECURITY_PROTOCOL=SSL needs your own cluster"):
        load_settings()


def test_the_readme_lists_every_setting() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme[readme.index("## Settings") :]
    missing = [env_name(f) for f in Settings.model_fields if f"`{env_name(f)}`" not in table]
    assert not missing


def test_the_settings_and_the_simulator_load_without_faust() -> None:
    """Only the processors run Faust; the settings every process reads must not drag it in."""
    probe = (
        "import sys; import sportsfeed.core.settings, sportsfeed.simulator.server; "
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('faust', 'mode')); "
        "print(loaded); sys.exit(len(loaded))"
    )
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert (ran.returncode, ran.stdout.strip()) == (0, "[]"), ran.stderr
