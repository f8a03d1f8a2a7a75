"""The wheel installs four top-level names: `sportsfeed` and the pipeline's `producers`,
`processors`, `schemas`; everything else importable lives under `sportsfeed/`, and the
development tools (tests, benchmarks, the dashboard generator) stay out.

The wheel is built by pip from a copy of the checkout's packages (a stale `build/` directory
cannot leak into it), the way `pip install .` builds it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_installs_only_sportsfeed_producers_processors_and_schemas(
    tmp_path: Path,
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in {path.parent for path in ROOT.glob("*/__init__.py")}:
        shutil.copytree(
            package, source / package.name, ignore=shutil.ignore_patterns("__pycache__")
        )
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir"]
    done = subprocess.run(
        [*pip_wheel, str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("sportsfeed-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (top_level,) = [name for name in names if name.endswith(".dist-info/top_level.txt")]
        assert archive.read(top_level).decode().split() == [
            "processors",
            "producers",
            "schemas",
            "sportsfeed",
        ]
    installed = {name.split("/")[0] for name in names if not name.split("/")[0].endswith("-info")}
    assert installed == {"processors", "producers", "schemas", "sportsfeed"}
    # the files the packages read at run time come along
    assert {"sportsfeed/stack/artifacts.lock", "schemas/released/fixture_score.avsc"} <= set(names)
