"""What settings' text becomes: shards, name lists and fixture lists, refused with the reason."""

from __future__ import annotations

import pytest

from sportsfeed.core.setting_types import Shard, parse_fixture_list, parse_names
from sportsfeed.core.vendor import Sport

FIXTURE = "1bd00469-86fa-4f0b-abcc-30cbef80dacc"


def test_fixture_list() -> None:
    assert parse_fixture_list(
        f"soccer:{FIXTURE}, tabletennis:{FIXTURE}\nv2/volleyball:{FIXTURE}"
    ) == (
        (Sport.SOCCER, FIXTURE),
        (Sport.TABLE_TENNIS, FIXTURE),
        (Sport.VOLLEYBALL, FIXTURE),
    )
    assert parse_fixture_list(" , ") == ()
    with pytest.raises(ValueError, match="'curling:"):
        parse_fixture_list(f"curling:{FIXTURE}")
    with pytest.raises(ValueError, match="'soccer:123' is not sport:fixtureId"):
        parse_fixture_list("soccer:123")


@pytest.mark.parametrize(
    ("text", "index", "count"), [("0/1", 0, 1), ("2/3", 2, 3), (" 11/12 ", 11, 12)]
)
def test_a_shard_is_index_over_count(text: str, index: int, count: int) -> None:
    shard = Shard.parse(text)
    assert (shard.index, shard.count) == (index, count)
    assert str(shard) == text.strip()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("3", "is not INDEX/COUNT"),
        ("a/3", "is not INDEX/COUNT"),
        ("1/-3", "is not INDEX/COUNT"),
        ("0/0", "COUNT is at least 1"),
        ("3/3", r"below COUNT \(0/3 to 2/3\)"),
    ],
)
def test_a_bad_shard_says_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Shard.parse(text)


def test_the_shards_of_a_count_hold_each_fixture_once() -> None:
    ids = [f"{n:08x}-86fa-4f0b-abcc-30cbef80dacc" for n in range(300)]
    shards = [Shard(index, 3) for index in range(3)]
    holders = [[s for s in shards if s.includes(fixture_id)] for fixture_id in ids]
    assert all(len(held) == 1 for held in holders)
    # a hash spreads them: each of three shards holds a fair part of 300 (expected 100)
    assert all(60 < sum(shard in held for held in holders) < 140 for shard in shards)


def test_names_are_looked_up_in_order_once_each() -> None:
    known = {"a": 1, "b": 2, "bee": 2}
    assert parse_names("B, a,bee", known, "a, b") == (2, 1)
    with pytest.raises(ValueError, match="c, d is not among a, b"):
        parse_names("a,c,d", known, "a, b")
    with pytest.raises(ValueError, match="nothing is not among a, b"):
        parse_names(" , ", known, "a, b")
