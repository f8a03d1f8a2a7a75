"""Operations: the Grafana dashboard, generated from code into the chart.

`python -m monitoring.dashboard` writes helm/sportsfeed/files/sportsfeed-dashboard.json, which
the chart ships as a ConfigMap for Grafana's dashboard sidecar; a test checks the file is up to
date. Each panel is one `Graph` in ROWS (the dashboard's rows, top to bottom): a title, a unit
and its queries, using only metric names the processes expose (the real-Prometheus test runs
every query). Another panel is one more `Graph`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Final

from grafana_foundation_sdk.builders import common, dashboard, prometheus, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import LegendDisplayMode, LegendPlacement, StackingMode
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from sportsfeed.stack.prometheus import PROCESSOR_JOB, PRODUCER_JOB, RULES

DASHBOARD: Final = RULES.with_name("sportsfeed-dashboard.json")
UID: Final = "sportsfeed"
PRODUCER: Final = f'job="{PRODUCER_JOB}"'
PROCESSOR: Final = f'job="{PROCESSOR_JOB}"'
EVERY_PROCESS: Final = f'job=~"{PRODUCER_JOB}|{PROCESSOR_JOB}"'


@dataclass(frozen=True)
class Graph:
    title: str
    unit: str
    queries: tuple[tuple[str, str], ...]  # (PromQL, legend)
    description: str = ""
    stacked: bool = False


def quantiles(histogram: str, selector: str) -> tuple[tuple[str, str], ...]:
    """The median and the 99th percentile of a histogram over all its series."""
    return tuple(
        (
            f"histogram_quantile({q}, sum by (le) "
            f"(rate({histogram}_bucket{{{selector}}}[$__rate_interval])))",
            f"p{round(q * 100)}",
        )
        for q in (0.5, 0.99)
    )


ROWS: Final[dict[str, tuple[Graph, ...]]] = {
    "Feeds": (
        Graph(
            "Feed states (streams per state)",
            "short",
            (
                (
                    f"sum by (state) (sportsfeed_producer_streams_in_state{{{PRODUCER}}})",
                    "{{state}}",
                ),
            ),
            "Anything but LIVE and FINISHED for long means a pricing system suspends markets.",
            stacked=True,
        ),
        Graph(
            "Frames in by sport and feed",
            "ops",
            (
                (
                    f"sum by (sport, feed) (rate(sportsfeed_producer_frames_total{{{PRODUCER}}}"
                    "[$__rate_interval]))",
                    "{{sport}} {{feed}}",
                ),
            ),
        ),
        Graph(
            "Market states (fixtures per state)",
            "short",
            ((f"sum by (state) (sportsfeed_processor_market_states{{{PROCESSOR}}})", "{{state}}"),),
            "OPEN only while the producer's lease runs and no decision is pending; most of "
            "them SUSPENDED at once is the pipeline, not the matches.",
            stacked=True,
        ),
        Graph(
            "Open streams",
            "short",
            ((f"sum(sportsfeed_producer_open_streams{{{PRODUCER}}})", "open"),),
        ),
        Graph(
            "Publish latency (frame received to Kafka ack)",
            "s",
            quantiles("sportsfeed_producer_publish_latency_seconds", PRODUCER),
        ),
        Graph(
            "Oldest record awaiting Kafka's ack, and the outage limit",
            "s",
            (
                (
                    f"max by (instance) (sportsfeed_producer_oldest_unacked_seconds{{{PRODUCER}}})",
                    "{{instance}}",
                ),
                (f"max(sportsfeed_producer_kafka_outage_limit_seconds{{{PRODUCER}}})", "limit"),
            ),
        ),
    ),
    "Processing": (
        Graph(
            "Frames processed by feed",
            "ops",
            (
                (
                    f"sum by (feed) (rate(sportsfeed_processor_frames_total{{{PROCESSOR}}}"
                    "[$__rate_interval]))",
                    "{{feed}}",
                ),
            ),
        ),
        Graph(
            "Outputs out by topic",
            "ops",
            (
                (
                    f"sum by (topic) (rate(sportsfeed_processor_outputs_total{{{PROCESSOR}}}"
                    "[$__rate_interval]))",
                    "{{topic}}",
                ),
            ),
        ),
        Graph(
            "End-to-end latency (raw record's Kafka timestamp to outputs sent)",
            "s",
            quantiles("sportsfeed_processor_latency_seconds", PROCESSOR),
        ),
        Graph(
            "Lag per partition (raw records not yet processed)",
            "short",
            (
                (
                    f"sum by (topic, partition) (sportsfeed_processor_lag{{{PROCESSOR}}})",
                    "{{topic}} {{partition}}",
                ),
            ),
        ),
        Graph(
            "Dead letters by reason",
            "short",
            (
                (
                    f"sum by (feed, error) (increase(sportsfeed_processor_dead_letters_total"
                    f"{{{PROCESSOR}}}[$__rate_interval]))",
                    "{{feed}} {{error}}",
                ),
            ),
            "Raw records sent to the rejected topic; `sportsfeed tail rejected` shows them.",
        ),
    ),
    "Processes": (
        Graph(
            "RocksDB memory per worker",
            "bytes",
            (
                (
                    f"sum by (instance, kind) (sportsfeed_processor_rocksdb_bytes{{{PROCESSOR}}})",
                    "{{instance}} {{kind}}",
                ),
            ),
            stacked=True,
        ),
        Graph(
            "Resident memory",
            "bytes",
            ((f"process_resident_memory_bytes{{{EVERY_PROCESS}}}", "{{job}} {{instance}}"),),
        ),
        Graph(
            "Restarts (last 15 minutes)",
            "short",
            (
                (
                    f"changes(process_start_time_seconds{{{EVERY_PROCESS}}}[15m])",
                    "{{job}} {{instance}}",
                ),
            ),
        ),
    ),
}


def build() -> dashboard.Dashboard:
    source = DataSourceRef(type_val="prometheus", uid="${datasource}")
    board = (
        dashboard.Dashboard("sportsfeed")
        .uid(UID)
        .tags(["sportsfeed"])
        .description("Feeds, processing and processes of a sportsfeed pipeline")
        .refresh("30s")
        .time("now-3h", "now")
        .timezone("utc")
        .with_variable(
            dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus")
        )
    )
    panel_id = 0
    for row, graphs in ROWS.items():
        panel_id += 1
        board = board.with_row(dashboard.Row(row).id(panel_id))
        for graph in graphs:
            panel_id += 1
            board = board.with_panel(_panel(graph, panel_id, source))
    return board


def _panel(graph: Graph, panel_id: int, source: DataSourceRef) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .id(panel_id)
        .title(graph.title)
        .description(graph.description)
        .unit(graph.unit)
        .datasource(source)
        .height(8)
        .span(8)
        .legend(
            common.VizLegendOptions()
            .show_legend(True)
            .display_mode(LegendDisplayMode.LIST)
            .placement(LegendPlacement.BOTTOM)
        )
    )
    if graph.stacked:
        panel = panel.stacking(common.StackingConfig().mode(StackingMode.NORMAL))
    for ref, (expr, legend) in zip("ABCDEFGH", graph.queries, strict=False):
        panel = panel.with_target(
            prometheus.Dataquery().ref_id(ref).expr(expr).legend_format(legend).datasource(source)
        )
    return panel


def render() -> str:
    return JSONEncoder(sort_keys=True, indent=2).encode(build().build()) + "\n"


def main() -> int:
    DASHBOARD.write_text(render())
    print(f"wrote {DASHBOARD}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
