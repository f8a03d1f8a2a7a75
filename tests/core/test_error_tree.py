"""The error tree drawn in `sportsfeed.core.errors` is the tree the shipped modules define.

Every exception class of every shipped module (imported, so bases are the real ones) must be
drawn once, under its base and with its module, and nothing else may be drawn: a new class or
a moved one fails here until the drawing says so.
"""

from __future__ import annotations

import importlib
import inspect
import re

import sportsfeed.core.errors
from tests.core.test_layers import shipped_modules

# one row of the drawing: tree glyphs (four characters a level), the class, its module
ROW = re.compile(
    r"^    (?P<tree>(?:│   |    )*(?:├── |└── )?)(?P<name>[A-Z]\w*)\s+(?P<module>[\w.]+)"
)


def drawn() -> dict[str, tuple[str, str | None]]:
    """Class name -> (module, base name; None for the root), as the docstring draws them."""
    rows: dict[str, tuple[str, str | None]] = {}
    parents: list[str] = []  # the last class drawn at each depth
    for line in (sportsfeed.core.errors.__doc__ or "").splitlines():
        match = ROW.match(line)
        if match is None:
            continue
        depth = len(match["tree"]) // 4
        del parents[depth:]
        assert match["name"] not in rows, f"{match['name']} is drawn twice"
        rows[match["name"]] = (match["module"], parents[-1] if parents else None)
        parents.append(match["name"])
    return rows


def defined() -> dict[str, tuple[str, str | None]]:
    """Class name -> (module, base name; None for a direct subclass of a built-in exception)."""
    found: dict[str, tuple[str, str | None]] = {}
    for name in shipped_modules():
        if name.endswith("__main__"):
            continue  # running it is the command itself
        module = importlib.import_module(name)
        for cls in vars(module).values():
            if not (inspect.isclass(cls) and issubclass(cls, BaseException)):
                continue
            if cls.__module__ != name:
                continue  # imported, counted where it is defined
            (base,) = cls.__bases__
            project = base.__module__.partition(".")[0] in _tops()
            found[cls.__name__] = (name, base.__name__ if project else None)
    return found


def _tops() -> set[str]:
    return {name.partition(".")[0] for name in shipped_modules()}


def test_the_drawing_has_one_root_and_every_class_of_the_shipped_packages() -> None:
    assert defined() == drawn()
    assert [name for name, (_, base) in drawn().items() if base is None] == ["SportsfeedError"]


def test_the_drawing_is_read_as_a_tree() -> None:
    """The parser itself, on the classes whose place is known by heart."""
    rows = drawn()
    assert rows["SportsfeedError"] == ("sportsfeed.core.errors", None)
    assert rows["Fenced"] == ("producers.publisher", "InfrastructureError")
    assert rows["RecordMismatch"] == ("schemas.errors", "SchemaError")
    assert rows["BadFrame"] == ("processors.frames", "SportsfeedError")
    assert len(rows) == 12
