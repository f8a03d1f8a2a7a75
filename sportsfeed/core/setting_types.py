"""What a setting's text becomes at load: a shard, lists of sports or feeds, lists of fixtures.

Each parser raises ValueError saying what is wrong and what to write instead; `settings.py`
puts the environment variable's name in front, so a bad value stops the process at load.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sportsfeed.core.vendor import Sport, sport_by_name

Fixture = tuple[Sport, str]  # a sport and a vendor fixtureId
Name = TypeVar("Name")

_FIXTURE_ID = re.compile(r"[0-9a-fA-F-]{36}")


@dataclass(frozen=True)
class Shard:
    """A producer's share of the fixtures: those whose id hashes to `index` modulo `count`."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"'{self}': COUNT is at least 1 (e.g. 0/3)")
        if not 0 <= self.index < self.count:
            last = f"{self.count - 1}/{self.count}"
            raise ValueError(
                f"'{self}': INDEX counts from 0 and must be below COUNT (0/{self.count} to {last})"
            )

    @classmethod
    def parse(cls, text: str) -> Shard:
        index, sep, count = text.strip().partition("/")
        if not sep or not index.isdigit() or not count.isdigit():
            raise ValueError(f"{text!r} is not INDEX/COUNT; write e.g. 0/3 (one of three)")
        return cls(int(index), int(count))

    def includes(self, fixture_id: str) -> bool:
        """Whether this share holds the fixture (a stable hash, the same in every process)."""
        return int(hashlib.sha256(fixture_id.encode()).hexdigest(), 16) % self.count == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_names(listed: str, known: Mapping[str, Name], shown: str) -> tuple[Name, ...]:
    """The comma-separated names of `listed`, each looked up in `known`, in order and once each;
    ValueError naming the unknown ones and the choices (`shown`)."""
    names = [name.strip().lower() for name in listed.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        named = ", ".join(unknown) or "nothing"
        raise ValueError(f"{named} is not among {shown}; list one or more, comma-separated")
    return tuple(dict.fromkeys(known[name] for name in names))


def parse_fixture_list(text: str) -> tuple[Fixture, ...]:
    """`sport:fixtureId` items separated by commas, spaces or new lines."""
    fixtures = []
    for item in re.split(r"[,\s]+", text.strip()):
        if not item:
            continue
        sport_name, sep, fixture_id = item.rpartition(":")
        sport = sport_by_name(sport_name) if sep else None
        if sport is None or not _FIXTURE_ID.fullmatch(fixture_id):
            raise ValueError(f"{item!r} is not sport:fixtureId (e.g. soccer:<uuid>)")
        fixtures.append((sport, fixture_id))
    return tuple(fixtures)


@dataclass(frozen=True)
class FixturesFile:
    """A file of fixtures, one `sport fixtureId` a line, read and checked once at load."""

    path: Path
    fixtures: tuple[Fixture, ...]

    @classmethod
    def read(cls, path: Path) -> FixturesFile:
        if not path.is_file():
            raise ValueError(
                f"{str(path)!r} is not a file; give a file of `sport fixtureId` lines, or unset it"
            )
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"{str(path)!r} cannot be read ({exc})") from None
        fixtures: list[Fixture] = []
        for number, line in enumerate(lines, start=1):
            try:
                fixtures += parse_fixture_list(":".join(line.split()))
            except ValueError as exc:
                raise ValueError(f"{str(path)!r} line {number}: {exc}") from None
        return cls(path, tuple(fixtures))

    def __str__(self) -> str:
        return str(self.path)
