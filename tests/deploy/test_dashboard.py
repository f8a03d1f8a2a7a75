"""The Grafana dashboard: the chart's JSON is what the generator writes, and the dashboard and the
alert rules read only metrics the processes expose."""

from __future__ import annotations

import json

from prometheus_client import CollectorRegistry

from monitoring import dashboard
from monitoring.queries import alert_rules, metric_names, panel_queries
from processors.metrics import Metrics as ProcessorMetrics
from producers.metrics import Metrics as ProducerMetrics

SUFFIXES = ("", "_total", "_bucket", "_sum", "_count")


def exposed(registry: CollectorRegistry) -> set[str]:
    """Every sample name a registry can expose (a labelled metric shows none before its first
    use, so names come from the families)."""
    return {family.name + suffix for family in registry.collect() for suffix in SUFFIXES}


def test_the_charts_dashboard_is_the_generators_output() -> None:
    assert dashboard.DASHBOARD.read_text() == dashboard.render(), (
        "the dashboard changed: run `python -m monitoring.dashboard`"
    )


def test_rules_and_panels_read_only_metrics_the_processes_expose() -> None:
    known = exposed(ProducerMetrics().registry) | exposed(ProcessorMetrics().registry) | {"up"}
    queries = [rule["expr"] for rule in alert_rules()]
    queries += [expr for exprs in panel_queries().values() for expr in exprs]
    read = {name for expr in queries for name in metric_names(expr)}
    assert read - known == set()
    assert {"sportsfeed_producer_streams_in_state", "sportsfeed_processor_lag"} <= read


def test_every_panel_has_an_id_of_its_own_and_the_datasource_variable() -> None:
    panels = json.loads(dashboard.DASHBOARD.read_text())["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in (p for p in panels if p["type"] != "row"):
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
