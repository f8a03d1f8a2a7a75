"""Raw records without the `feeds` header (another producer wrote them) still score a fixture."""

from __future__ import annotations

from processors.frames import read_meta
from schemas.outputs import FIXTURE_FINISHED, FIXTURE_SCORE
from sportsfeed.core.vendor import Feed, Sport
from sportsfeed.simulator.catalogue import generated
from tests.processors.streams import interleaved, run


def test_a_record_without_the_header_does_not_say_its_feeds() -> None:
    assert read_meta([("sport", b"soccer"), ("position", b"3")]).feeds is None
    said = read_meta([("sport", b"soccer"), ("position", b"3"), ("feeds", b"statistics")])
    assert said.feeds == frozenset({Feed.STATISTICS})


def test_statistics_only_table_tennis_without_the_header_is_scored_and_finished() -> None:
    fixture = generated(Sport.TABLE_TENNIS, 7)
    truth = fixture.truth()
    done = run(fixture, interleaved(fixture, [Feed.STATISTICS]), feeds=None)
    last = done.of(FIXTURE_SCORE)[-1]
    assert (last["homeScore"], last["awayScore"]) == (truth["homeScore"], truth["awayScore"])
    finished = done.of(FIXTURE_FINISHED)
    assert [(f["homeScore"], f["awayScore"]) for f in finished] == [
        (truth["homeScore"], truth["awayScore"])
    ]


def test_without_the_header_the_actions_feed_scores_once_it_is_seen() -> None:
    fixture = generated(Sport.VOLLEYBALL, 3)
    truth = fixture.truth()
    done = run(fixture, interleaved(fixture), feeds=None)
    scores = done.of(FIXTURE_SCORE)
    first_actions = next(n for n, r in enumerate(scores) if r["source"]["feed"] == "ACTIONS")
    assert all(r["source"]["feed"] == "ACTIONS" for r in scores[first_actions:])
    assert (scores[-1]["homeScore"], scores[-1]["awayScore"]) == (
        truth["homeScore"],
        truth["awayScore"],
    )
    assert len(done.of(FIXTURE_FINISHED)) == 1
