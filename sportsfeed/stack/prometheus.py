"""Local stack, operations: a Prometheus on 127.0.0.1 scraping the pipeline's processes.

Debian's `prometheus` binary (`make prometheus` installs it), for `sportsfeed demo --prometheus`
and the real-Prometheus test. Its scrape jobs have the names the alert rules and the dashboard
select (`sportsfeed-producer`, `sportsfeed-processor`), as the chart's monitors do.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import httpx

from sportsfeed.core.errors import InfrastructureError
from sportsfeed.stack.processes import ChildServer, free_port

PRODUCER_JOB: Final = "sportsfeed-producer"
PROCESSOR_JOB: Final = "sportsfeed-processor"
# The alert rules, one file for the chart and any Prometheus (present in a checkout)
RULES: Final = Path(__file__).resolve().parents[2] / "helm/sportsfeed/files/sportsfeed.rules.yaml"
START_TIMEOUT_S: Final = 60.0


def config(
    targets: Mapping[str, Sequence[str]], rule_files: Sequence[Path], interval_s: float
) -> dict[str, Any]:
    """A Prometheus configuration: one job per entry of `targets` (host:port list)."""
    every = f"{round(interval_s * 1000)}ms"
    return {
        "global": {"scrape_interval": every, "evaluation_interval": every},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": list(hosts)}]}
            for job, hosts in targets.items()
        ],
    }


@contextlib.contextmanager
def local_prometheus(
    targets: Mapping[str, Sequence[str]],
    directory: Path,
    rule_files: Sequence[Path] = (),
    interval_s: float = 5.0,
) -> Iterator[str]:
    """Run Prometheus (data and log in `directory`) until the block ends; yields its URL."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise InfrastructureError(
            "prometheus is not installed: `make prometheus` (apt-get install prometheus)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    configuration = directory / "prometheus.yml"  # JSON is YAML
    configuration.write_text(json.dumps(config(targets, rule_files, interval_s), indent=2))
    url = f"http://127.0.0.1:{free_port()}"
    server = ChildServer(
        "prometheus",
        [
            binary,
            f"--config.file={configuration}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address={url.removeprefix('http://')}",
            "--log.level=warn",
        ],
        directory / "prometheus.log",
        directory,
    )
    server.start()
    try:
        server.wait_until(lambda: _ready(url), START_TIMEOUT_S)
        yield url
    finally:
        server.stop()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=1.0).status_code == httpx.codes.OK
    except httpx.HTTPError:
        return False
