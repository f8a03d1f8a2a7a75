"""Every verb as a person starts it: `sportsfeed VERB ...` in a fresh shell, as the README shows.

Each case runs the installed command as a subprocess with a clean environment (no setting
inherited from the test run) and checks what the person sees: the exit code, no traceback,
and, for a bad input, one `sportsfeed:` line naming the setting or argument to fix. The bad
inputs fail before any server is needed, or meet servers that are not there; the happy paths
run one short pipeline on the real local stack, each under its own topic prefix.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sportsfeed.core.kafka_clients import Endpoints
from sportsfeed.core.vendor import Sport
from sportsfeed.stack.processes import free_port

SPORTSFEED = str(Path(sys.executable).parent / "sportsfeed")  # what `make` installs
FIXTURE = "0d5c8a36-0000-4000-8000-000000000001"
NOBODY = f"127.0.0.1:{free_port()}"  # a port nothing listens on


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def said(self) -> str:
        """The last line on stderr: where a command says why it stopped."""
        lines = self.err.strip().splitlines()
        return lines[-1] if lines else ""


def fresh_shell(**settings: str) -> dict[str, str]:
    """A user's environment: no sportsfeed, Kafka or registry setting but those given."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SPORTSFEED_", "KAFKA_", "SCHEMA_REGISTRY"))
    }
    return kept | {"COLUMNS": "80", "TERM": "dumb"} | settings


def sportsfeed(*args: str, env: dict[str, str], timeout_s: float = 60) -> Ran:
    done = subprocess.run(
        [SPORTSFEED, *args], env=env, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    ran = Ran(done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in ran.out + ran.err, ran.err[-3000:]
    return ran


def assert_refused(ran: Ran, code: int, *named: str) -> None:
    """Stopped with `code` and one line naming each of `named` (argparse adds its usage)."""
    assert ran.code == code, (ran.code, ran.err[-2000:])
    assert ran.said.startswith("sportsfeed"), ran.err[-2000:]  # "sportsfeed: " or argparse's
    for name in named:
        assert name in ran.said, (name, ran.err[-2000:])
    assert ran.said.count("settings:") <= 1, ran.said  # said once
    noise = [line for line in ran.err.splitlines() if " ERROR " in line or " WARNING " in line]
    assert len(noise) <= 3, ran.err[-3000:]  # a line or two of context, never a flood


def flat(text: str) -> str:
    """Output with rich's line wrapping undone (it wraps at the terminal's 80 columns)."""
    return " ".join(text.split())


def on_stack(stack: Endpoints, **settings: str) -> dict[str, str]:
    return fresh_shell(
        KAFKA_BOOTSTRAP_SERVERS=stack.bootstrap_servers,
        SCHEMA_REGISTRY_URL=stack.registry_url,
        **settings,
    )


def servers_down(**settings: str) -> dict[str, str]:
    down = {"KAFKA_BOOTSTRAP_SERVERS": NOBODY, "SCHEMA_REGISTRY_URL": f"http://{NOBODY}"}
    return fresh_shell(**down | settings)


# -- bad inputs: each ends in one line naming what to fix, before or without any server --------

BAD_INPUTS = {
    "feeds": (
        ["produce"],
        {"SPORTSFEED_FEEDS": "scores"},
        2,
        ["SPORTSFEED_FEEDS", "scores", "actions, statistics"],
    ),
    "shard-index-past-count": (
        ["produce"],
        {"SPORTSFEED_SHARD": "3/2"},
        2,
        ["SPORTSFEED_SHARD", "0/2 to 1/2"],
    ),
    "shard-index-at-count": (["produce"], {"SPORTSFEED_SHARD": "5/3"}, 2, ["SPORTSFEED_SHARD"]),
    "discovery-sports": (
        ["produce"],
        {"SPORTSFEED_DISCOVERY_SPORTS": "socer,curling"},
        2,
        ["SPORTSFEED_DISCOVERY_SPORTS", "socer, curling"],
    ),
    "topic-prefix": (
        ["topics"],
        {"SPORTSFEED_TOPIC_PREFIX": "my topics"},
        2,
        ["SPORTSFEED_TOPIC_PREFIX"],
    ),
    "half-a-cluster": (["topics"], {"SCHEMA_REGISTRY_URL": ""}, 2, ["SCHEMA_REGISTRY_URL"]),
    "nothing-to-stream": (["produce"], {}, 1, ["SPORTSFEED_FIXTURES", "SPORTSFEED_DISCOVERY_URL"]),
    "bad-fixture": (["produce"], {"SPORTSFEED_FIXTURES": "soccer:42"}, 2, ["SPORTSFEED_FIXTURES"]),
    "tail-from": (["tail", "fixture-score", "--from", "yesterday"], {}, 2, ["--from", "yesterday"]),
    "replay-prefix": (["replay", "--to-prefix", "re play"], {}, 2, ["--to-prefix"]),
    "replay-without-prefix": (["replay"], {}, 2, ["--to-prefix"]),
    "demo-fixtures": (["demo", "--fixtures", "0"], {}, 2, ["--fixtures"]),
    "demo-prefix": (["demo", "--prefix", "a/b"], {}, 2, ["--prefix"]),
    "archive-import-missing": (["archive", "import", "/nonexistent"], {}, 1, ["/nonexistent"]),
    "archive-without-action": (["archive"], {}, 2, ["ACTION"]),
    "simulate-sport": (["simulate", "--sports", "curling"], {}, 1, ["--sports", "curling"]),
    "simulate-multiplier": (["simulate", "--multiplier", "-3"], {}, 2, ["--multiplier", "-3"]),
    "simulate-rate": (["simulate", "--drop-rate", "2"], {}, 2, ["--drop-rate", "between 0 and 1"]),
    "simulate-host": (
        ["simulate", "--host", "192.0.2.1", "--port", "0"],
        {},
        1,
        ["--host 192.0.2.1", "not an address of this machine"],
    ),
    "simulate-recorded": (
        ["simulate", "--recorded", "/nonexistent"],
        {},
        2,
        ["--recorded", "/nonexistent"],
    ),
    "demo-seconds": (["demo", "--seconds", "-1"], {}, 2, ["--seconds", "negative"]),
    "replay-since": (
        ["replay", "--to-prefix", "r.", "--since", "yesterday"],
        {},
        2,
        ["--since", "yesterday", "ISO"],
    ),
    "no-verb": ([], {}, 2, ["VERB"]),
    "half-mutual-tls": (
        ["topics"],
        {"KAFKA_SSL_CERT_FILE": "/etc/hostname"},
        2,
        ["KAFKA_SSL_CERT_FILE", "KAFKA_SSL_KEY_FILE"],
    ),
    "replay-delete-own-prefix": (
        ["replay", "--from-prefix", "r.", "--to-prefix", "sportsfeed.", "--delete"],
        {},
        1,
        ["--to-prefix sportsfeed.", "SPORTSFEED_TOPIC_PREFIX"],
    ),
    "replay-delete-and-replace": (
        ["replay", "--to-prefix", "r.", "--delete", "--replace"],
        {},
        2,
        ["--replace", "--delete"],
    ),
    "fixtures-file": (
        ["produce"],
        {"SPORTSFEED_FIXTURES_FILE": "/nonexistent"},
        2,
        ["SPORTSFEED_FIXTURES_FILE", "/nonexistent"],
    ),
    "archive-export-directory": (
        ["archive", "export", "/proc/nope"],
        {},
        1,
        ["DIRECTORY", "/proc/nope"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_a_bad_input_is_named_in_one_line(case: str) -> None:
    args, settings, code, named = BAD_INPUTS[case]
    env = servers_down(**settings)
    if settings.get("SCHEMA_REGISTRY_URL") == "":
        del env["SCHEMA_REGISTRY_URL"]
    assert_refused(sportsfeed(*args, env=env), code, *named)


def test_an_empty_directory_is_no_archive(tmp_path: Path) -> None:
    ran = sportsfeed("archive", "import", str(tmp_path), env=servers_down())
    assert_refused(ran, 1, str(tmp_path), "no archive")


SERVERS_DOWN = {
    "produce": ["produce"],
    "process": ["process"],
    "tail": ["tail", "fixture-score"],
    "archive-export": ["archive", "export", "{tmp}/archive"],
    "scoreboard": ["scoreboard", "--once"],
    "topics": ["topics"],
    "replay": ["replay", "--to-prefix", "replay1."],
}


@pytest.mark.parametrize("verb", list(SERVERS_DOWN))
def test_kafka_not_answering_is_named(verb: str, tmp_path: Path) -> None:
    args = [arg.format(tmp=tmp_path) for arg in SERVERS_DOWN[verb]]
    env = servers_down(SPORTSFEED_FIXTURES=f"soccer:{FIXTURE}", SPORTSFEED_METRICS_PORT="0")
    ran = sportsfeed(*args, env=env)
    assert_refused(ran, 1, "KAFKA_BOOTSTRAP_SERVERS", NOBODY)
    assert " ERROR " not in ran.err, ran.err  # the client's own lines only repeat ours
    assert not (tmp_path / "archive").exists()


def test_a_registry_not_answering_is_named(stack: Endpoints) -> None:
    env = fresh_shell(
        KAFKA_BOOTSTRAP_SERVERS=stack.bootstrap_servers, SCHEMA_REGISTRY_URL=f"http://{NOBODY}"
    )
    assert_refused(sportsfeed("schemas", "check", env=env), 1, "SCHEMA_REGISTRY_URL", NOBODY)


def test_a_registry_url_without_its_confluent_path_says_so(stack: Endpoints) -> None:
    root = stack.registry_url.removesuffix("/apis/ccompat/v7")
    env = fresh_shell(
        KAFKA_BOOTSTRAP_SERVERS=stack.bootstrap_servers,
        SCHEMA_REGISTRY_URL=root,
        SPORTSFEED_TOPIC_PREFIX=_prefix(),
        SPORTSFEED_FIXTURES=f"soccer:{FIXTURE}",
        SPORTSFEED_METRICS_PORT="0",
    )
    for verb in ("schemas check", "produce"):
        ran = sportsfeed(*verb.split(), env=env)
        assert_refused(ran, 1, "SCHEMA_REGISTRY_URL", "/apis/ccompat/v7")


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("verb", ["produce", "process"])
def test_a_taken_metrics_port_is_named(verb: str, taken_port: int, stack: Endpoints) -> None:
    port = str(taken_port)
    env = on_stack(
        stack,
        SPORTSFEED_TOPIC_PREFIX=_prefix(),
        SPORTSFEED_METRICS_PORT=port,
        SPORTSFEED_FIXTURES=f"soccer:{FIXTURE}",
    )
    assert_refused(sportsfeed(verb, env=env), 1, "SPORTSFEED_METRICS_PORT", str(taken_port))


@pytest.mark.parametrize("verb", ["produce", "process"])
def test_a_bad_metrics_host_is_named_as_the_host(verb: str) -> None:
    env = servers_down(
        SPORTSFEED_METRICS_HOST="nosuch.invalid", SPORTSFEED_FIXTURES=f"soccer:{FIXTURE}"
    )
    ran = sportsfeed(verb, env=env)
    assert_refused(ran, 1, "SPORTSFEED_METRICS_HOST=nosuch.invalid")
    assert "METRICS_PORT" not in ran.said, ran.said


def test_simulate_names_its_taken_port(taken_port: int) -> None:
    ran = sportsfeed("simulate", "--port", str(taken_port), "--fixtures", "1", env=fresh_shell())
    assert_refused(ran, 1, f"--port {taken_port}", "Address already in use")
    assert "SPORTSFEED_" not in ran.said, ran.said


@pytest.mark.parametrize(("verb", "held"), [("process", 9464), ("produce", 9465)])
def test_produce_and_process_default_to_their_own_metrics_ports(verb: str, held: int) -> None:
    """The README's terminals run both without SPORTSFEED_METRICS_PORT: with the other one's
    port held, each gets past its port and meets Kafka (here: not there)."""
    with socket.socket() as holder:
        with contextlib.suppress(OSError):  # already held by someone: held all the same
            holder.bind(("127.0.0.1", held))
            holder.listen()
        ran = sportsfeed(verb, env=servers_down(SPORTSFEED_FIXTURES=f"soccer:{FIXTURE}"))
    assert_refused(ran, 1, "KAFKA_BOOTSTRAP_SERVERS")


def test_reading_verbs_name_a_missing_topic(stack: Endpoints) -> None:
    prefix = _prefix()
    env = on_stack(stack, SPORTSFEED_TOPIC_PREFIX=prefix)
    for args in (["scoreboard", "--once"], ["tail", "fixture-score"]):
        ran = sportsfeed(*args, env=env)
        assert_refused(ran, 1, f"{prefix}fixture-score", "sportsfeed topics")


def test_every_verb_has_help() -> None:
    verbs = [
        "demo",
        "stack",
        "simulate",
        "produce",
        "topics",
        "process",
        "replay",
        "schemas",
        "tail",
        "scoreboard",
        "archive",
        "archive export",
        "archive import",
    ]
    for verb in verbs:
        ran = sportsfeed(*verb.split(), "--help", env=fresh_shell())
        assert ran.code == 0, ran.err
        description = ran.out.split("\n\n")[1]
        assert not description.startswith(("positional", "options")), (verb, ran.out)
    top = sportsfeed("--help", env=fresh_shell()).out
    assert "SPORTSFEED_METRICS_PORT" in top  # the settings are listed


# -- happy paths: the README's walk-through on the real stack, short and bounded --------------


def _prefix() -> str:
    return f"cmd{uuid.uuid4().hex[:8]}."


@dataclass(frozen=True)
class Pipeline:
    env: dict[str, str]
    prefix: str
    truth: dict[str, dict[str, object]]


@pytest.fixture(scope="module")
def pipeline(stack: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """simulate | produce | process, as the README's terminals run them, until every fixture
    has finished; what each fixture really was comes from the simulator's --truth file."""
    folder = tmp_path_factory.mktemp("commands")
    prefix, port = _prefix(), free_port()
    env = on_stack(
        stack,
        SPORTSFEED_TOPIC_PREFIX=prefix,
        SPORTSFEED_PARTITIONS="2",
        SPORTSFEED_DATA_DIR=str(folder / "data"),
    )
    topics = sportsfeed("topics", env=env)
    assert topics.code == 0, topics.err
    assert f"{prefix}fixture-score: 2 partitions" in topics.out
    truth_file = folder / "truth.json"
    simulate = subprocess.Popen(
        [
            SPORTSFEED,
            "simulate",
            "--port",
            str(port),
            "--fixtures",
            "3",
            "--seed",
            "7",
            "--sports",
            "soccer,snooker,volleyball",
            "--truth",
            str(truth_file),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        listing = _listing(simulate)
        fixtures = ",".join(f"{sport}:{fixture_id}" for sport, fixture_id in listing)
        produce = sportsfeed(
            "produce",
            timeout_s=120,
            env=env
            | {
                "SPORTSFEED_FEED_URL": f"ws://127.0.0.1:{port}",
                "SPORTSFEED_FIXTURES": fixtures,
                "SPORTSFEED_SPEED": "fast",
                "SPORTSFEED_METRICS_PORT": "0",
            },
        )
        assert produce.code == 0, produce.err[-3000:]
        assert "every stream has finished" in produce.err
    finally:
        simulate.send_signal(signal.SIGINT)
        simulate.communicate(timeout=30)
    truth = {str(t["fixtureId"]): t for t in json.loads(truth_file.read_text())}
    worker = subprocess.Popen(
        [SPORTSFEED, "process"],
        env=env | {"SPORTSFEED_METRICS_PORT": str(free_port())},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_finished(env, prefix, set(truth), worker)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err[-3000:]
    assert "Traceback" not in err
    return Pipeline(env, prefix, truth)


def _listing(simulate: subprocess.Popen[str]) -> list[tuple[str, str]]:
    """`sport fixtureId name` lines the simulator prints, as a user copies them."""
    assert simulate.stdout is not None
    header = simulate.stdout.readline()
    assert header.startswith("simulating 3 fixtures"), header
    return [tuple(simulate.stdout.readline().split()[:2]) for _ in range(3)]  # type: ignore[misc]


def _wait_for_finished(
    env: dict[str, str], prefix: str, fixtures: set[str], worker: subprocess.Popen[str]
) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and worker.poll() is None:
        tail = sportsfeed("tail", "fixture-finished", env=env)
        if {json.loads(line)["key"] for line in tail.out.splitlines()} == fixtures:
            return
        time.sleep(2)
    raise AssertionError(f"no fixture-finished for all of {fixtures} in {prefix}")


def test_scoreboard_once_shows_every_fixture_within_80_columns(pipeline: Pipeline) -> None:
    ran = sportsfeed("scoreboard", "--once", env=pipeline.env)
    assert ran.code == 0, ran.err[-3000:]
    lines = ran.out.splitlines()
    assert max(len(line) for line in lines) <= 80
    rows = [line for line in lines if "FINISHED" in line]
    assert len(rows) == len(pipeline.truth), ran.out
    # Found by sport and final score (a fixture whose actions frames never name its teams
    # shows "?" for them); at 80 columns the sport outlasts the period and the market's reasons.
    for fixture in pipeline.truth.values():
        score = f" {fixture['homeScore']}-{fixture['awayScore']} "
        sport = Sport(fixture["sport"]).name.lower().replace("_", " ")  # as the board says it
        assert any(row.startswith(sport) and score in row for row in rows), (sport, ran.out)
    assert ran.err == ""  # the table and nothing else


def test_reading_verbs_print_only_their_output_unless_a_log_level_is_set(
    pipeline: Pipeline,
) -> None:
    for args in (["tail", "fixture-score", "--limit", "1"], ["scoreboard", "--once"]):
        ran = sportsfeed(*args, env=pipeline.env)
        assert (ran.code, ran.err) == (0, ""), (args, ran.err[-3000:])
        asked = sportsfeed(*args, env=pipeline.env | {"SPORTSFEED_LOG_LEVEL": "INFO"})
        assert " INFO " in asked.err, (args, asked.err[-3000:])


def test_tail_prints_json_lines(pipeline: Pipeline) -> None:
    ran = sportsfeed("tail", "fixture-score", "--limit", "3", env=pipeline.env)
    assert ran.code == 0, ran.err
    records = [json.loads(line) for line in ran.out.splitlines()]
    assert len(records) == 3
    assert {r["key"] for r in records} <= set(pipeline.truth)
    since = sportsfeed(
        "tail", "fixture-score", "--from", "2020-01-01", "--limit", "1", env=pipeline.env
    )
    assert since.code == 0, since.err
    assert len(since.out.splitlines()) == 1


def test_archive_export_then_import_elsewhere(pipeline: Pipeline, tmp_path: Path) -> None:
    exported = sportsfeed("archive", "export", str(tmp_path), env=pipeline.env)
    assert (exported.code, exported.err) == (0, ""), exported.err  # its summary, no INFO lines
    frames = sum(sum(t["frames"].values()) for t in pipeline.truth.values())  # type: ignore[attr-defined]
    assert f"exported {frames:,} frames of 3 fixtures" in exported.out
    elsewhere = pipeline.env | {"SPORTSFEED_TOPIC_PREFIX": _prefix()}
    imported = sportsfeed("archive", "import", str(tmp_path), env=elsewhere)
    assert imported.code == 0, imported.err
    assert f"imported {frames:,} frames" in imported.out


def test_replay_into_a_prefix_without_separator(pipeline: Pipeline) -> None:
    target = _prefix().rstrip(".")
    ran = sportsfeed("replay", "--to-prefix", target, env=pipeline.env, timeout_s=180)
    assert ran.code == 0, ran.err[-3000:]
    assert f"into {target}.*" in flat(ran.out)
    rebuilt = pipeline.env | {"SPORTSFEED_TOPIC_PREFIX": f"{target}."}
    finished = sportsfeed("tail", "fixture-finished", env=rebuilt)
    keys = {json.loads(line)["key"] for line in finished.out.splitlines()}
    assert keys == set(pipeline.truth), ran.out


def test_replay_refuses_a_used_prefix_replaces_and_deletes_it(pipeline: Pipeline) -> None:
    target = _prefix()
    first = sportsfeed("replay", "--to-prefix", target, env=pipeline.env, timeout_s=180)
    assert (first.code, first.err) == (0, ""), first.err[-3000:]  # its progress, no INFO lines
    again = sportsfeed("replay", "--to-prefix", target, env=pipeline.env, timeout_s=60)
    assert_refused(again, 1, f"--to-prefix {target}", "already holds", "--replace")
    replaced = sportsfeed(
        "replay", "--to-prefix", target, "--replace", env=pipeline.env, timeout_s=180
    )
    assert replaced.code == 0, replaced.err[-3000:]
    rebuilt = pipeline.env | {"SPORTSFEED_TOPIC_PREFIX": target}
    finished = sportsfeed("tail", "fixture-finished", env=rebuilt).out.splitlines()
    assert sorted(json.loads(line)["key"] for line in finished) == sorted(pipeline.truth)
    deleted = sportsfeed("replay", "--to-prefix", target, "--delete", env=pipeline.env)
    assert deleted.code == 0, deleted.err[-3000:]
    assert_refused(sportsfeed("tail", "fixture-score", env=rebuilt), 1, f"{target}fixture-score")
    # a pipeline's prefix (its raw topics hold frames) is never deleted
    elsewhere = pipeline.env | {"SPORTSFEED_TOPIC_PREFIX": _prefix()}
    refused = sportsfeed("replay", "--to-prefix", pipeline.prefix, "--delete", env=elsewhere)
    assert_refused(refused, 1, f"--to-prefix {pipeline.prefix}", "raw topics hold frames")
    assert sportsfeed("tail", "fixture-score", "--limit", "1", env=pipeline.env).code == 0


def test_a_registry_not_answering_is_named_by_its_variable(pipeline: Pipeline) -> None:
    env = pipeline.env | {"SCHEMA_REGISTRY_URL": f"http://127.0.0.1:{free_port()}/apis/ccompat/v7"}
    ran = sportsfeed("tail", "fixture-score", "--limit", "1", env=env, timeout_s=60)
    assert_refused(ran, 1, "SCHEMA_REGISTRY_URL")


def test_replay_of_a_selection_prints_only_its_own_lines(pipeline: Pipeline) -> None:
    ran = sportsfeed(
        "replay",
        "--to-prefix",
        _prefix(),
        "--fixture",
        "nosuchfixture",
        env=pipeline.env,
        timeout_s=60,
    )
    assert_refused(ran, 1, "--fixture", "no raw frames")
    chosen = sorted(pipeline.truth)[0]
    ran = sportsfeed(
        "replay", "--to-prefix", _prefix(), "--fixture", chosen, env=pipeline.env, timeout_s=180
    )
    # its new topics' partitions have no leader for a moment: the client's retry warnings
    assert (ran.code, ran.err) == (0, ""), ran.err[-3000:]


def test_schemas_check_against_the_registry(stack: Endpoints) -> None:
    env = on_stack(stack)
    ran = sportsfeed("schemas", "check", env=env)
    assert ran.code == 0, ran.err
    assert "fixture_score: compatible" in ran.out


def test_demo_writes_its_fixtures_under_its_prefix(pipeline: Pipeline) -> None:
    """Beside a running worker of another prefix that keeps its state in the same directory
    (each worker's RocksDB is locked while open: one directory for both starved the demo's)."""
    prefix = _prefix()
    worker = subprocess.Popen(
        [SPORTSFEED, "process"],
        env=pipeline.env | {"SPORTSFEED_METRICS_PORT": str(free_port())},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(5)  # its tables opened
        ran = sportsfeed(
            "demo",
            "--seconds",
            "25",
            "--fixtures",
            "3",
            "--multiplier",
            "120",
            "--prefix",
            prefix,
            env=pipeline.env,
            timeout_s=120,
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err[-3000:]
    assert ran.code == 0, ran.err[-3000:]
    assert f"topics {prefix}*" in flat(ran.out)
    assert "scores for 3 of 3 fixtures" in flat(ran.out), ran.out[-2000:]


def test_demo_on_your_servers_keeps_off_your_topics_and_fails_when_its_worker_dies(
    stack: Endpoints, tmp_path: Path
) -> None:
    production = _prefix()
    env = on_stack(
        stack,
        SPORTSFEED_PARTITIONS="2",
        SPORTSFEED_TOPIC_PREFIX=production,
        SPORTSFEED_DATA_DIR=str(tmp_path),
    )
    demo = subprocess.Popen(
        [SPORTSFEED, "demo", "--fixtures", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        worker = _child_worker(demo.pid, timeout_s=60)
        time.sleep(3)
        os.kill(worker, signal.SIGKILL)  # the demo's own child, as a crash would end it
        out, err = demo.communicate(timeout=90)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert "Traceback" not in out + err
    assert "topics sportsfeed-demo.*" in flat(out)
    assert demo.returncode == 1, err[-2000:]
    assert "processor worker exited early" in err.strip().splitlines()[-1], err[-2000:]
    ran = sportsfeed("tail", "raw.actions", env=env)
    assert_refused(ran, 1, f"{production}raw.actions")  # nothing written under yours


def _child_worker(parent: int, timeout_s: float) -> int:
    """The pid of the `sportsfeed process` child of `parent`, once it runs."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for task in Path(f"/proc/{parent}/task").iterdir():
            for child in (task / "children").read_text().split():
                command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
                if b"process" in command:
                    return int(child)
        time.sleep(0.5)
    raise AssertionError(f"no worker under {parent} within {timeout_s} s")
