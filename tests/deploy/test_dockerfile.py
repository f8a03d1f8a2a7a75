"""The image definition: two stages on one digest-pinned base, dependencies installed only from
the hash-locked wheels, what it copies exists and passes .dockerignore, and its install steps
work in a clean venv.

No Docker engine runs here, so the Dockerfile's RUN steps are replayed in a fresh virtual
environment (standing in for /opt/sportsfeed) over a copy of exactly what the Dockerfile copies
(user creation apart: that would change this machine), and the entry point must then answer
`--help`.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
LOCK = ROOT / "requirements.lock"
BASH = shutil.which("bash") or "/bin/bash"
VENV = "/opt/sportsfeed"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


def _copies() -> list[str]:
    return [
        args.split()[0]
        for kind, args in instructions()
        if kind == "COPY" and not args.startswith("--from")
    ]


def test_two_stages_on_one_base_pinned_at_build_and_the_user_is_not_root() -> None:
    steps = instructions()
    assert ("ARG", "BASE") in steps  # no default: the build names a digest (see the Dockerfile)
    assert [args for kind, args in steps if kind == "FROM"] == ["${BASE} AS build", "${BASE}"]
    runtime = steps[max(i for i, (kind, _) in enumerate(steps) if kind == "FROM") :]
    assert ("COPY", f"--from=build {VENV} {VENV}") in runtime
    assert not [args for kind, args in runtime if kind == "COPY" and "--from" not in args]
    final = dict(runtime)
    assert final["USER"] != "0"
    assert final["ENTRYPOINT"] == '["sportsfeed"]'


def test_dependencies_come_only_from_the_hash_locked_wheels() -> None:
    runs = " ".join(args for kind, args in instructions() if kind == "RUN")
    assert "--require-hashes --only-binary=:all: -r requirements.lock" in runs
    assert "--no-deps" in runs  # the project itself resolves nothing
    entries = re.findall(
        r"^([a-z0-9_.-]+)==(\S+) \\\n    --hash=sha256:[0-9a-f]{64}$",
        LOCK.read_text(),
        flags=re.MULTILINE,
    )
    locked = dict(entries)
    assert len(locked) == len(entries) == LOCK.read_text().count("==")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name, version = requirement.split("==")
        assert locked.get(name.lower()) == version, requirement


def test_every_copied_path_exists_and_passes_the_dockerignore() -> None:
    sources = _copies()
    patterns = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    for source in sources:
        assert (ROOT / source).exists(), source
        admitted = False
        for pattern in patterns:  # the last matching pattern decides, as Docker's does
            negated = pattern.startswith("!")
            if fnmatch.fnmatch(source, pattern.lstrip("!").rstrip("/")):
                admitted = negated
        assert admitted, f"{source} is excluded by .dockerignore"
    tools = {"tests", "bench", "monitoring"}  # development tools (tests, benchmarks, dashboard)
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - tools
    assert packages <= set(sources), "a package the project installs is not copied"


def test_the_install_steps_work_and_the_entry_point_answers(tmp_path: Path) -> None:
    context = tmp_path / "src"
    context.mkdir()
    for source in _copies():
        copy = shutil.copytree if (ROOT / source).is_dir() else shutil.copy
        copy(ROOT / source, context / source)
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    env = {
        **os.environ,
        "PATH": f"{environment / 'bin'}:{os.environ['PATH']}",
        "VIRTUAL_ENV": str(environment),
    }
    env.pop("PYTHONPATH", None)
    for kind, args in instructions():
        if kind != "RUN":
            continue
        for command in args.split("&&"):
            if command.strip().startswith(("useradd", f"python3 -m venv {VENV}")):
                continue
            done = subprocess.run(
                [BASH, "-c", command.replace(VENV, str(environment))],
                cwd=context,
                env=env,
                check=False,
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    answer = subprocess.run(
        [str(environment / "bin" / "sportsfeed"), "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    for verb in ("produce", "process", "topics", "replay"):
        assert verb in answer.stdout
