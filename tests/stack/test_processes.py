"""Children started through `sportsfeed.stack.processes` never outlive us and stop when told."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sportsfeed.stack.processes import Child, run

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
# ignores SIGTERM, says so once it does, then sleeps
STUBBORN = [
    sys.executable,
    "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', "
    "flush=True); time.sleep(60)",
]


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split()[2] != "Z"  # a zombie is gone, only not yet reaped
    except FileNotFoundError:
        return False


def _gone_within(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_a_child_dies_with_its_parent_even_on_kill_9() -> None:
    parent_code = (
        "import subprocess, sys, time\n"
        "from sportsfeed.stack.processes import Child\n"
        f"child = Child({SLEEPER!r}, subprocess.DEVNULL)\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    try:
        assert _alive(child_pid)
        parent.kill()
        parent.wait()
        assert _gone_within(child_pid, 5)
    finally:
        if _alive(child_pid):
            os.kill(child_pid, signal.SIGKILL)
        parent.stdout.close()


def test_stop_ends_a_child_that_ignores_sigterm_and_says_how(tmp_path: Path) -> None:
    output = tmp_path / "child.out"
    with output.open("wb") as sink:
        child = Child(STUBBORN, sink)
    deadline = time.monotonic() + 10
    while "ready" not in output.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert child.returncode is None
    started = time.monotonic()
    assert child.stop(timeout_s=0.5) == -signal.SIGKILL
    assert 0.5 <= time.monotonic() - started < 5
    assert child.returncode == -signal.SIGKILL
    assert child.stop(timeout_s=0.5) == -signal.SIGKILL  # stopping again changes nothing


def test_a_child_that_heeds_sigterm_ends_with_its_own_code() -> None:
    child = Child(SLEEPER, subprocess.DEVNULL)
    assert child.stop(timeout_s=10) == -signal.SIGTERM


def test_run_gives_a_tools_output_and_exit_code() -> None:
    done = run([sys.executable, "-c", "import sys; print('out'); sys.exit(3)"], timeout_s=30)
    assert (done.returncode, done.stdout) == (3, "out\n")
