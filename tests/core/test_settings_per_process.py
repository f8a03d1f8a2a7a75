"""Each verb loads only the settings its process reads: a value it does not use cannot stop it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sportsfeed.cli import build_parser, main, settings_read_by
from sportsfeed.core.errors import SettingsError
from sportsfeed.core.settings import (
    GROUPS,
    ClusterSettings,
    ProcessorSettings,
    ProducerSettings,
    Settings,
    SimulatorSettings,
    env_name,
    load_settings,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for field in Settings.model_fields:
        monkeypatch.delenv(env_name(field), raising=False)


def _verbs() -> dict[str, argparse.ArgumentParser]:
    verbs = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    found = {}
    for name, parser in verbs.items():
        actions = parser._subparsers._group_actions[0].choices if parser._subparsers else {}
        found |= {f"{name} {action}": sub for action, sub in actions.items()} or {name: parser}
    return found


def test_each_verb_reads_its_own_process_settings() -> None:
    read = {name: settings_read_by(parser.get_default("verb")) for name, parser in _verbs().items()}
    assert read == {
        "demo": Settings,  # the whole pipeline in one process
        "simulate": SimulatorSettings,
        "produce": ProducerSettings,
        "process": ProcessorSettings,
        **dict.fromkeys(
            ["stack", "topics", "replay", "schemas", "tail", "scoreboard"], ClusterSettings
        ),
        "archive export": ClusterSettings,
        "archive import": ClusterSettings,
    }


def test_every_setting_is_in_one_group_and_all_of_them_in_settings() -> None:
    grouped = [field for group in GROUPS for field in group.model_fields]
    assert len(grouped) == len(set(grouped))
    assert set(grouped) == set(Settings.model_fields)


def test_the_simulator_runs_whatever_the_producer_and_processor_settings_say(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPORTSFEED_FEEDS", "scores")
    monkeypatch.setenv("SPORTSFEED_STORE", "disk")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka")  # half a cluster, and not host:port
    record = ["simulate", "--record", str(tmp_path), "--fixtures", "1", "--sports", "snooker"]
    assert main(record) == 0
    assert list(tmp_path.iterdir())
    assert main(["produce"]) == 2
    said = capsys.readouterr().err
    assert "SPORTSFEED_FEEDS: scores is not among actions, statistics" in said
    assert "KAFKA_BOOTSTRAP_SERVERS: 'kafka' is not host:port" in said
    assert "SPORTSFEED_STORE" not in said  # the processor's: not the producer's concern


def test_a_process_refuses_its_own_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPORTSFEED_STORE", "disk")
    monkeypatch.setenv("SPORTSFEED_SHARD", "3/2")
    with pytest.raises(SettingsError) as refused:
        load_settings(ProcessorSettings)
    assert "SPORTSFEED_STORE: Input should be 'rocksdict' or 'memory' (got 'disk')" in str(
        refused.value
    )
    assert "SPORTSFEED_SHARD" not in str(refused.value)
    with pytest.raises(SettingsError, match="SPORTSFEED_SHARD: '3/2'"):
        load_settings(ProducerSettings)
