"""The benchmark report: rows of figures beside their baselines, as a table and as RESULTS.md.

Each `## ` section of RESULTS.md is one benchmark, with a line saying when and by which command
it was measured, so that one section can be measured again (`python -m bench --only NAME`) and
put in place of its old self without touching the others.
"""

from __future__ import annotations

import re
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
    notes: dict[str, str] = field(default_factory=dict)  # per section: how it was measured

    def add(self, section: str, row: Row) -> None:
        self.sections.setdefault(section, []).append(row)

    def note(self, section: str, text: str) -> None:
        self.notes[section] = text

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
            "Written by `python -m bench`, every process sharing the machine. Each section says "
            "when and by which command it was measured; `python -m bench --only NAME` measures "
            "one section again and keeps the others. What the figures mean, where the time "
            "goes and why targets are missed: [NOTES.md](NOTES.md).",
            "",
            f"Machine: {facts['cpu']}, {facts['cores']} cores, {facts['memory']}; Python "
            f"{facts['python']}; {facts['packages']}; Apache Kafka 4.1.1 (one local KRaft node).",
            "Figures with three numbers are the median (min, max) of repeated runs.",
            "",
        ]
        for section, rows in self.sections.items():
            out += [
                f"## {section}",
                "",
                self.notes.get(section, ""),
                "",
                "| figure | sportsfeed | baseline, same run | ratio | target |",
                "|---|---|---|---|---|",
            ]
            for row in rows:
                ratio = f"{row.ratio:.2f}" if row.ratio is not None else ""
                target = f"{row.target}: {row.verdict}" if row.target else ""
                out.append(f"| {row.figure} | {row.ours} | {row.baseline} | {ratio} | {target} |")
            out.append("")
        return "\n".join(out)


_SECTION = re.compile(r"^## (.+)$", re.M)


def split(markdown: str) -> tuple[str, dict[str, str]]:
    """A RESULTS.md as its preamble and its `## ` sections (name: text, heading included)."""
    starts = list(_SECTION.finditer(markdown))
    bounds = [match.start() for match in starts] + [len(markdown)]
    sections = {
        match[1].strip(): markdown[bounds[n] : bounds[n + 1]] for n, match in enumerate(starts)
    }
    return markdown[: bounds[0]], sections


def merged(old: str, new: str) -> str:
    """`new`'s preamble and sections, and `old`'s sections that `new` does not measure, each
    where it was; sections new to the file go at the end, in `new`'s order."""
    _, before = split(old)
    preamble, after = split(new)
    kept = {name: after.get(name, text) for name, text in before.items()}
    ordered = [*kept.values(), *(text for name, text in after.items() if name not in before)]
    return preamble + "".join(text.rstrip("\n") + "\n\n" for text in ordered).rstrip("\n") + "\n"
