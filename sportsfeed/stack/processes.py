"""Child processes: every one sportsfeed starts is started here, one way, so none outlives it.

A child gets its own session (a terminal's Ctrl-C reaches only us, and we stop it in order) and
asks the kernel to SIGTERM it when the thread that started it dies (Linux `PR_SET_PDEATHSIG`),
so even a `kill -9` of a test run or the demo leaves no broker or worker behind. `Child` runs
one alongside us (a server, a worker); `run` runs a tool to completion.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, Final

from sportsfeed.core.errors import InfrastructureError

_PR_SET_PDEATHSIG: Final = 1
_POLL_SECONDS: Final = 0.2
# Looked up before any fork: the child, between fork and exec, only makes the call.
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent() -> None:
    """Runs in the child between fork and exec."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _child_options() -> dict[str, Any]:
    return {
        "stdin": subprocess.DEVNULL,
        "start_new_session": True,
        "preexec_fn": _die_with_parent,
    }


class Child:
    """A child process running alongside us; `returncode` is None while it runs."""

    def __init__(
        self,
        argv: list[str],
        output: IO[bytes] | int,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, **_child_options()
        )

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.poll()

    def stop(self, timeout_s: float) -> int:
        """SIGTERM its process group, SIGKILL it past `timeout_s`; its exit code. Idempotent."""
        if self._process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                return self._process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
        return self._process.wait()

    async def stopped(self, timeout_s: float) -> int:
        """`stop` without blocking the event loop."""
        return await asyncio.to_thread(self.stop, timeout_s)

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signum)


def run(
    argv: list[str], timeout_s: float, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """A tool run to completion, its output captured as text; check `returncode`."""
    options = _child_options()
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False, **options
    )


def java_executable() -> str:
    """The `java` to run servers with: $JAVA_HOME/bin/java, else the one on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    if candidate is not None and candidate.exists():
        return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise InfrastructureError(
            "Java 17 or newer is needed for the local Kafka broker and registry; install it "
            "(e.g. apt-get install openjdk-17-jre-headless), or set KAFKA_BOOTSTRAP_SERVERS "
            "and SCHEMA_REGISTRY_URL to use your own servers"
        )
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class ChildServer:
    """A server process: started, awaited until it really answers, stopped without residue."""

    def __init__(self, name: str, argv: list[str], log_path: Path, cwd: Path) -> None:
        self.name = name
        self._argv = argv
        self._log_path = log_path
        self._cwd = cwd
        self._process: Child | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self._log_path.open("ab")
        self._process = Child(self._argv, self._log, cwd=self._cwd)

    def wait_until(self, ready: Callable[[], bool], timeout_s: float) -> None:
        """Return once `ready()` is true; raise with the log's tail if the server dies or stalls."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is None or self._process.returncode is not None:
                raise InfrastructureError(f"{self.name} exited at start-up:\n{self.log_tail()}")
            if ready():
                return
            time.sleep(_POLL_SECONDS)
        self.stop()
        raise InfrastructureError(
            f"{self.name} did not answer within {timeout_s:.0f} s:\n{self.log_tail()}"
        )

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM the server's process group, SIGKILL it if it lingers; idempotent."""
        process, self._process = self._process, None
        if process is not None:
            process.stop(timeout_s)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 25) -> str:
        if not self._log_path.exists():
            return "(no log)"
        text = self._log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])
