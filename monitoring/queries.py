"""Operations: the PromQL the alert rules and the dashboard run, and the metric names it reads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

import yaml

from monitoring.dashboard import DASHBOARD
from sportsfeed.stack.prometheus import RULES

# sportsfeed's own names, the process collector's and Prometheus' `up` (not a call: no "(")
_METRIC: Final = re.compile(r"\b((?:sportsfeed|process)_\w+|up)\b(?!\s*\()")


def alert_rules(path: Path = RULES) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = yaml.safe_load(path.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def panel_queries(path: Path = DASHBOARD) -> dict[str, list[str]]:
    """Each panel's title and its queries' PromQL."""
    panels = json.loads(path.read_text())["panels"]
    return {p["title"]: [t["expr"] for t in p["targets"]] for p in panels if p["type"] != "row"}


def metric_names(expr: str) -> set[str]:
    return set(_METRIC.findall(expr))
