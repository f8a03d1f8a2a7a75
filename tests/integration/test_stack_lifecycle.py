"""The local stack stops cleanly on Ctrl-C and leaves nothing behind even if killed with -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sportsfeed.stack.kafka import api_versions

STACK_COMMAND = [sys.executable, "-m", "sportsfeed", "stack", "--temporary"]


def _children(pid: int) -> set[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(child) for child in children.split()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")  # zombies are gone


def _wait_gone(pids: set[int], timeout_s: float) -> set[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.2)
    return {pid for pid in pids if _alive(pid)}


@pytest.fixture
def running_stack() -> Iterator[tuple[subprocess.Popen[str], dict[str, str], set[int]]]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"KAFKA_BOOTSTRAP_SERVERS", "SCHEMA_REGISTRY_URL"}
    }
    process = subprocess.Popen(
        STACK_COMMAND, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    printed: dict[str, str] = {}
    for line in process.stdout:  # the stack prints its endpoints, then "running"
        key, sep, value = line.strip().partition("=")
        if sep:
            printed[key] = value
        if line.startswith("running"):
            break
    children = _children(process.pid)
    try:
        yield process, printed, children
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
        _wait_gone(children, 30)


def test_ctrl_c_stops_broker_and_registry(
    running_stack: tuple[subprocess.Popen[str], dict[str, str], set[int]],
) -> None:
    process, printed, children = running_stack
    host, _, port = printed["KAFKA_BOOTSTRAP_SERVERS"].rpartition(":")
    assert api_versions(host, int(port))  # really up before we stop it
    assert len(children) == 2  # broker and registry

    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 0
    assert _wait_gone(children, 5) == set()
    with pytest.raises(ConnectionRefusedError):
        api_versions(host, int(port))


def test_kill_9_of_the_parent_leaves_no_server(
    running_stack: tuple[subprocess.Popen[str], dict[str, str], set[int]],
) -> None:
    process, _, children = running_stack
    assert len(children) == 2
    process.kill()
    process.wait()
    assert _wait_gone(children, 60) == set()
