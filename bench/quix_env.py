"""The Quix Streams baseline's own virtualenv, made by the benchmark on first use.

Quix Streams pins pydantic and pydantic-settings below the project's pins, so it cannot share
the project's environment. The benchmark makes one under the cache directory with Quix Streams
and exactly the project's pins of what the pure core imports (read from pyproject.toml, so the
baseline encodes with the same fastavro and parses with the same orjson as the worker), and
runs `bench.quix_app` there with the repository on PYTHONPATH. Later runs reuse it; a change
of any pin makes a new one.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

QUIXSTREAMS = "quixstreams==3.28.1"
# What processors.frames, processors.derive and schemas.serde import beyond the standard library.
CORE = ("fastavro", "orjson", "httpx", "python-schema-registry-client")
REPOSITORY = Path(__file__).resolve().parents[1]


def pins(dependencies: Iterable[str], names: Iterable[str]) -> list[str]:
    """The pinned requirement (`name==version`) of each of `names` among `dependencies`."""
    pinned = {
        line.split("==")[0].strip().lower(): line.strip() for line in dependencies if "==" in line
    }
    missing = [name for name in names if name.lower() not in pinned]
    if missing:
        raise ValueError(f"pyproject.toml pins none of {missing}: the baseline needs them pinned")
    return [pinned[name.lower()] for name in names]


def requirements() -> list[str]:
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
    return [QUIXSTREAMS, *pins(project["project"]["dependencies"], CORE)]


def quix_python(cache_dir: Path) -> Path:
    """The Python of a virtualenv holding Quix Streams and the pure core's dependencies."""
    wanted = requirements()
    digest = hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:12]
    target = cache_dir / "bench" / f"quix-{digest}"
    python = target / "bin" / "python"
    installed = target / ".installed"
    if not installed.exists():
        print(f"  making {target} ({', '.join(wanted)})", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(target)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *wanted], check=True)
        installed.write_text("\n".join(wanted) + "\n", encoding="utf-8")
    return python


def quix_env() -> dict[str, str]:
    """The environment `bench.quix_app` runs in: the repository importable, nothing else."""
    return {**os.environ, "PYTHONPATH": str(REPOSITORY)}
