"""Dependencies point one way: every shipped module imports only its own package or a lower layer.

From the bottom: the core (vendor vocabulary, topic contract, settings, errors, Kafka clients),
the Avro contract, the pipeline (producers, processors, the simulator, the local stack; each
its own package, none importing another), and the verbs on top. The simulator, a stand-in for
the vendor, knows only the core's vocabulary. Every import counts, inside functions too.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# (package, layer), the most specific package first; a module belongs to the first that holds it.
PACKAGES = (
    ("sportsfeed.core", 0),
    ("schemas", 1),
    ("producers", 2),
    ("processors", 2),
    ("sportsfeed.simulator", 2),
    ("sportsfeed.stack", 2),
    ("sportsfeed", 3),  # the verbs, the `sportsfeed` command and the package's version
)
ONLY_FROM_CORE = {"sportsfeed.simulator"}


def package_of(module: str) -> str | None:
    for package, _layer in PACKAGES:
        if module == package or module.startswith(package + "."):
            return package
    return None


def layer_of(package: str) -> int:
    return dict(PACKAGES)[package]


def shipped_modules() -> dict[str, Path]:
    """Every module the wheel installs, by dotted name (packages as their `__init__`)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    tops = {
        name.rstrip("*") for name in config["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    modules = {}
    for top in sorted(tops):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported(module: str, path: Path) -> set[str]:
    """The project modules `module` imports, relative imports resolved."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if package_of(name) is not None}


def upward_edges(modules: dict[str, Path]) -> list[str]:
    edges = []
    for module, path in modules.items():
        own = package_of(module)
        assert own is not None, f"{module} belongs to no layer: add its package to PACKAGES"
        for target in sorted(imported(module, path)):
            other = package_of(target)
            assert other is not None
            allowed = other == own or layer_of(other) < layer_of(own)
            if own in ONLY_FROM_CORE:
                allowed = other in {own, "sportsfeed.core"}
            if not allowed:
                edges.append(f"{module} ({own}) imports {target} ({other})")
    return edges


def test_every_shipped_module_imports_only_its_own_package_or_a_lower_layer() -> None:
    modules = shipped_modules()
    assert {"sportsfeed.core.vendor", "producers.app", "sportsfeed.cli"} <= modules.keys()
    assert upward_edges(modules) == []


@pytest.mark.parametrize(
    ("module", "source", "reported"),
    [
        ("sportsfeed.core.topics", "from sportsfeed.verbs import demo", "sportsfeed.verbs.demo"),
        ("sportsfeed.core.topics", "import schemas.serde", "schemas.serde"),
        ("schemas.serde", "from producers.app import Producer", "producers.app.Producer"),
        ("processors.frames", "from producers import protocol", "producers.protocol"),
        ("sportsfeed.simulator.server", "from schemas import serde", "schemas.serde"),
        ("sportsfeed.stack.local", "from ..verbs import stack", "sportsfeed.verbs.stack"),
        ("producers.app", "def f():\n    import sportsfeed.cli", "sportsfeed.cli"),
        ("sportsfeed.verbs.demo", "from producers.app import Producer", None),
        ("producers.app", "from schemas.serde import AvroWriter", None),
        ("sportsfeed.simulator.server", "from ..core.vendor import Sport", None),
    ],
)
def test_the_check_reports_an_import_against_the_layers_and_only_such_an_import(
    tmp_path: Path, module: str, source: str, reported: str | None
) -> None:
    path = tmp_path / "module.py"
    path.write_text(source + "\n")
    targets = [edge.split(" imports ")[1].split(" ")[0] for edge in upward_edges({module: path})]
    assert targets[-1:] == ([reported] if reported else [])
