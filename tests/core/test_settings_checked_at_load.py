"""Settings that used to be accepted and then did nothing: refused or normalised at load."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sportsfeed.core.errors import SettingsError
from sportsfeed.core.setting_types import Shard
from sportsfeed.core.settings import Settings, describe_settings, env_name, load_settings
from sportsfeed.core.vendor import Channel, Feed, Sport
from sportsfeed.verbs.demo import DEMO_PREFIX, demo_prefix

FIXTURE = "1bd00469-86fa-4f0b-abcc-30cbef80dacc"
OTHER = "6a0e5b1c-2f3d-4e8a-9b7c-0d1e2f3a4b5c"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for field in Settings.model_fields:
        monkeypatch.delenv(env_name(field), raising=False)


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("SPORTSFEED_FEEDS", "scores", "scores is not among actions, statistics"),
        ("SPORTSFEED_FEEDS", " , ", "nothing is not among"),
        ("SPORTSFEED_DISCOVERY_SPORTS", "socer,curling", "socer, curling is not among"),
        ("SPORTSFEED_SHARD", "3/2", "must be below COUNT (0/2 to 1/2)"),
        ("SPORTSFEED_SHARD", "2/2", "must be below COUNT"),
        ("SPORTSFEED_TOPIC_PREFIX", "my topics", "'my topics' is not a topic prefix"),
        ("SPORTSFEED_RAW_TOPIC_PREFIX", "a/b", "'a/b' is not a topic prefix"),
        ("SPORTSFEED_SHARD", "1/0", "COUNT is at least 1"),
        ("SPORTSFEED_SHARD", "-1/2", "is not INDEX/COUNT"),
        ("SPORTSFEED_FIXTURES", "soccer:42", "'soccer:42' is not sport:fixtureId"),
        ("SPORTSFEED_FIXTURES", f"curling:{FIXTURE}", f"'curling:{FIXTURE}' is not sport:"),
        ("SPORTSFEED_FIXTURES_FILE", "/nonexistent", "'/nonexistent' is not a file"),
        ("SPORTSFEED_SPEED", "slow", "'normal' or 'fast' (got 'slow')"),
        ("SPORTSFEED_CHANNEL", "radio", "'betting' or 'media' (got 'radio')"),
        ("SPORTSFEED_LOG_LEVEL", "loud", "'loud' is not one of DEBUG, INFO, WARNING, ERROR"),
    ],
)
def test_a_setting_that_would_do_nothing_is_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert f"{variable}: " in str(refused.value)
    assert named in str(refused.value)


def test_names_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPORTSFEED_DISCOVERY_SPORTS", "Soccer, v2/tabletennis,soccer")
    monkeypatch.setenv("SPORTSFEED_FEEDS", "statistics")
    monkeypatch.setenv("SPORTSFEED_TOPIC_PREFIX", "replay1")
    monkeypatch.setenv("SPORTSFEED_SHARD", "2/3")
    settings = load_settings()
    assert settings.discovery_sports == (Sport.SOCCER, Sport.TABLE_TENNIS)
    assert settings.feeds == (Feed.STATISTICS,)
    assert settings.topic_prefix == "replay1."  # not replay1fixture-score
    assert settings.shard == Shard(index=2, count=3)


def test_a_bad_line_of_the_fixtures_file_is_named_with_its_number(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    listed = tmp_path / "fixtures.txt"
    listed.write_text(f"soccer {FIXTURE}\n\nsocer {FIXTURE}\n")
    monkeypatch.setenv("SPORTSFEED_FIXTURES_FILE", str(listed))
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert f"SPORTSFEED_FIXTURES_FILE: '{listed}' line 3: 'socer:{FIXTURE}'" in str(refused.value)


def test_good_values_load_typed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    listed = tmp_path / "fixtures.txt"
    listed.write_text(f"basketball {OTHER}\n  v2/volleyball   {FIXTURE}  \n")
    monkeypatch.setenv("SPORTSFEED_FIXTURES", f"soccer:{FIXTURE}, tabletennis:{OTHER}")
    monkeypatch.setenv("SPORTSFEED_FIXTURES_FILE", str(listed))
    monkeypatch.setenv("SPORTSFEED_FEEDS", "Actions")
    monkeypatch.setenv("SPORTSFEED_CHANNEL", "media")
    monkeypatch.setenv("SPORTSFEED_SPEED", "fast")
    monkeypatch.setenv("SPORTSFEED_LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.configured_fixtures == (
        (Sport.SOCCER, FIXTURE),
        (Sport.TABLE_TENNIS, OTHER),
        (Sport.BASKETBALL, OTHER),
        (Sport.VOLLEYBALL, FIXTURE),
    )
    assert settings.feeds == (Feed.ACTIONS,)
    assert settings.channel is Channel.MEDIA
    assert (settings.speed, settings.log_level) == ("fast", "DEBUG")


def test_defaults_are_typed_and_spelt_as_the_readme_gives_them() -> None:
    settings = load_settings()
    assert settings.feeds == (Feed.ACTIONS, Feed.STATISTICS)
    assert settings.discovery_sports == tuple(Sport)
    assert settings.shard == Shard(0, 1)
    assert (settings.fixtures, settings.fixtures_file) == ((), None)
    assert settings.channel is Channel.BETTING
    described = describe_settings()
    for variable, default in (
        ("SPORTSFEED_FEEDS", "actions,statistics"),
        ("SPORTSFEED_DISCOVERY_SPORTS", "soccer,basketball,volleyball,snooker,tabletennis"),
        ("SPORTSFEED_SHARD", "0/1"),
        ("SPORTSFEED_CHANNEL", "betting"),
    ):
        line = next(line for line in described.splitlines() if variable in line)
        assert line.endswith(f"[default: {default}]"), line


@pytest.mark.parametrize(
    ("external", "given", "expected"),
    [(False, None, "sportsfeed."), (True, None, DEMO_PREFIX), (True, "mine.", "mine.")],
)
def test_the_demo_keeps_off_your_topics_on_your_servers(
    monkeypatch: pytest.MonkeyPatch, external: bool, given: str | None, expected: str
) -> None:
    for variable, value in (
        ("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092"),
        ("SCHEMA_REGISTRY_URL", "http://registry:8081"),
    ):
        if external:
            monkeypatch.setenv(variable, value)
        else:
            monkeypatch.delenv(variable, raising=False)
    args = argparse.Namespace(prefix=given)
    assert demo_prefix(args, load_settings()) == expected


def test_a_bad_value_is_told_what_the_setting_is_for_and_its_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPORTSFEED_TRANSACTION_MS", "5")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value) == (
        "invalid settings: SPORTSFEED_TRANSACTION_MS: Input should be greater than or equal to "
        "10 (got '5'). (How often the producer commits its transaction: read_committed readers "
        "see a frame up to this much later, and each commit holds new frames back about 20 ms. "
        "Default: 500.)"
    )
