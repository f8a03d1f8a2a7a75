"""The benchmark report: rows of figures beside their baselines, as a table and as RESULTS.md."""

from __future__ import annotations

from dataclasses import dataclass, field


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


@dataclass(frozen=True)
class Row:
    figure: str
    ours: str
    baseline: str
    ratio: float | None  # ours / baseline, where one figure divides the other
    target: str = ""
    verdict: str = ""


@dataclass
class Report:
    facts: dict[str, str]
    sections: dict[str, list[Row]] = field(default_factory=dict)
    minutes: float = 0.0

    def add(self, section: str, row: Row) -> None:
        self.sections.setdefault(section, []).append(row)

    def table(self) -> str:
        """Plain text for the terminal."""
        lines = []
        for section, rows in self.sections.items():
            lines.append(section)
            for row in rows:
                baseline = f"  |  {row.baseline}" if row.baseline else ""
                ratio = f"  ratio {row.ratio:.2f}" if row.ratio is not None else ""
                target = f"  target {row.target}: {row.verdict}" if row.target else ""
                lines.append(f"  {row.figure}\n    {row.ours}{baseline}{ratio}{target}")
        return "\n".join(lines)

    def markdown(self) -> str:
        facts = self.facts
        out = [
            "# Benchmark results",
            "",
            "Written by `python -m bench` (a temporary local stack; every process shares the "
            f"machine) in {self.minutes:.1f} minutes on {facts['date']}.",
            "",
            f"Machine: {facts['cpu']}, {facts['cores']} cores, {facts['memory']}; Python "
            f"{facts['python']}; {facts['packages']}; Apache Kafka 4.1.1 (one local KRaft node).",
            "Figures with three numbers are the median (min, max) of repeated runs.",
            "",
        ]
        for section, rows in self.sections.items():
            out += [f"## {section}", "", "| figure | sportsfeed | baseline, same run | ratio | "
                    "target |", "|---|---|---|---|---|"]  # fmt: skip
            for row in rows:
                ratio = f"{row.ratio:.2f}" if row.ratio is not None else ""
                target = f"{row.target}: {row.verdict}" if row.target else ""
                out.append(f"| {row.figure} | {row.ours} | {row.baseline} | {ratio} | {target} |")
            out.append("")
        out.append("What the figures mean, where the time goes and why targets are missed: "
                   "[NOTES.md](NOTES.md).")  # fmt: skip
        return "\n".join(out) + "\n"
