"""The chart's alerts and dashboard: off by default; when enabled, the PrometheusRule holds the
rules file's groups exactly, the dashboard ConfigMap the generated JSON with the sidecar's label,
and the monitors scrape producers and workers under the jobs the rules select."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitoring.dashboard import DASHBOARD
from sportsfeed.core.settings import load_settings
from sportsfeed.stack.prometheus import PROCESSOR_JOB, PRODUCER_JOB, RULES
from tests.deploy.helm import helm_binary
from tests.deploy.test_chart import REQUIRED, render

ENABLED = [
    "--set",
    "monitoring.prometheusRule.enabled=true",
    "--set",
    "monitoring.prometheusRule.labels.release=prom",
    "--set",
    "monitoring.dashboard.enabled=true",
    "--set",
    "metrics.serviceMonitor.enabled=true",
]


@pytest.fixture(scope="module")
def helm_path() -> Path:
    return helm_binary(load_settings().cache_dir)


def by_kind(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        d["kind"] + ("/dashboard" if d["metadata"]["name"].endswith("-dashboard") else ""): d
        for d in documents
    }


def test_alerts_and_dashboard_are_off_by_default(helm_path: Path) -> None:
    kinds = {d["kind"] for d in render(helm_path, *REQUIRED)}
    assert not kinds & {"PrometheusRule", "PodMonitor"}
    assert "ConfigMap/dashboard" not in by_kind(render(helm_path, *REQUIRED))


def test_the_prometheusrule_is_the_rules_file(helm_path: Path) -> None:
    rule = by_kind(render(helm_path, *REQUIRED, *ENABLED))["PrometheusRule"]
    assert rule["spec"] == {"groups": yaml.safe_load(RULES.read_text())["groups"]}
    assert rule["metadata"]["labels"]["release"] == "prom"


def test_the_dashboard_configmap_carries_the_generated_json(helm_path: Path) -> None:
    config_map = by_kind(render(helm_path, *REQUIRED, *ENABLED))["ConfigMap/dashboard"]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config_map["data"]["sportsfeed.json"]) == json.loads(DASHBOARD.read_text())


def test_the_monitors_scrape_under_the_jobs_the_rules_select(helm_path: Path) -> None:
    documents = by_kind(render(helm_path, *REQUIRED, *ENABLED))
    monitors = {
        PRODUCER_JOB: documents["PodMonitor"]["spec"]["podMetricsEndpoints"][0],
        PROCESSOR_JOB: documents["ServiceMonitor"]["spec"]["endpoints"][0],
    }
    for job, endpoint in monitors.items():
        assert {"targetLabel": "job", "replacement": job} in endpoint["relabelings"]
    selected = documents["PodMonitor"]["spec"]["selector"]["matchLabels"]
    assert selected["app.kubernetes.io/component"] == "producer"
