"""The image definition: what it copies exists, and its install steps work in a clean venv.

No Docker engine runs here, so the Dockerfile's RUN steps are replayed in a fresh virtual
environment over a copy of exactly what the Dockerfile copies (user creation apart: that would
change this machine), and the entry point must then answer `--help`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
BASH = shutil.which("bash") or "/bin/bash"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


def test_the_base_image_is_pinned_and_the_user_is_not_root() -> None:
    steps = dict(instructions())
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", steps["FROM"])
    assert steps["USER"] != "0"
    assert steps["ENTRYPOINT"] == '["sportsfeed"]'


def test_every_copied_path_exists() -> None:
    sources = [args.split()[0] for kind, args in instructions() if kind == "COPY"]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
    tools = {"tests", "bench", "monitoring"}  # development tools (tests, benchmarks, dashboard)
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - tools
    assert packages <= set(sources), "a package the project installs is not copied"


def test_the_install_steps_work_and_the_entry_point_answers(tmp_path: Path) -> None:
    context = tmp_path / "app"
    context.mkdir()
    for kind, args in instructions():
        if kind == "COPY":
            source, _ = args.split()
            copy = shutil.copytree if (ROOT / source).is_dir() else shutil.copy
            copy(ROOT / source, context / source)
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    env = {**os.environ, "PATH": f"{environment / 'bin'}:{os.environ['PATH']}",
           "VIRTUAL_ENV": str(environment)}  # fmt: skip
    env.pop("PYTHONPATH", None)
    for kind, args in instructions():
        if kind != "RUN":
            continue
        for command in args.split("&&"):
            if command.strip().startswith("useradd"):
                continue
            done = subprocess.run([BASH, "-c", command], cwd=context, env=env, check=False,
                                  capture_output=True, text=True, timeout=900)  # fmt: skip
            assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    answer = subprocess.run([str(environment / "bin" / "sportsfeed"), "--help"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120,
                            check=False)  # fmt: skip
    assert answer.returncode == 0, answer.stderr
    for verb in ("produce", "process", "topics", "replay"):
        assert verb in answer.stdout
