"""The pinned `helm` binary the chart tests run, built from the Go module proxy once.

`go install helm.sh/helm/v3/cmd/helm@VERSION` into the cache directory (outside the checkout);
later calls reuse the binary. Needs Go; nothing else is downloaded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Final

from sportsfeed.core.errors import InfrastructureError

HELM_VERSION: Final = "v3.22.0"
BUILD_TIMEOUT_S: Final = 1800


def helm_binary(cache_dir: Path) -> Path:
    """The helm binary of HELM_VERSION, built on first use."""
    target = cache_dir / "tools" / f"helm-{HELM_VERSION}"
    binary = target / "helm"
    if binary.exists():
        return binary
    go = shutil.which("go")
    if go is None:
        raise InfrastructureError("building helm for the chart checks needs Go (`go` on PATH)")
    target.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GOBIN": str(target), "CGO_ENABLED": "0"}
    done = subprocess.run(
        [go, "install", f"helm.sh/helm/v3/cmd/helm@{HELM_VERSION}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0 or not binary.exists():
        raise InfrastructureError(f"go install helm {HELM_VERSION} failed: {done.stderr[-2000:]}")
    return binary
