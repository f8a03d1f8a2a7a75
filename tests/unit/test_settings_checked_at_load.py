"""Settings that used to be accepted and then did nothing: refused or normalised at load."""

from __future__ import annotations

import argparse

import pytest

from sportsfeed.core.errors import SettingsError
from sportsfeed.core.settings import load_settings
from sportsfeed.verbs.demo import DEMO_PREFIX, demo_prefix


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
    assert settings.discovery_sports == "soccer,tabletennis"
    assert settings.feeds == "statistics"
    assert settings.topic_prefix == "replay1."  # not replay1fixture-score
    assert settings.shard == "2/3"


@pytest.mark.parametrize(
    ("external", "given", "expected"),
    [(False, None, "sportsfeed."), (True, None, DEMO_PREFIX), (True, "mine.", "mine.")],
)
def test_the_demo_keeps_off_your_topics_on_your_servers(
    monkeypatch: pytest.MonkeyPatch, external: bool, given: str | None, expected: str
) -> None:
    for variable, value in (("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092"),
                            ("SCHEMA_REGISTRY_URL", "http://registry:8081")):  # fmt: skip
        if external:
            monkeypatch.setenv(variable, value)
        else:
            monkeypatch.delenv(variable, raising=False)
    args = argparse.Namespace(prefix=given)
    assert demo_prefix(args, load_settings()) == expected
