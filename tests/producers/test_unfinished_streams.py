"""Which streams a starting producer resumes from feed-status: all but finished or given up."""

from __future__ import annotations

import pytest

from producers.recovery import Checkpoint, Resume
from producers.status import GAVE_UP, State
from sportsfeed.core.vendor import Sport


@pytest.mark.parametrize(
    ("state", "reason", "resumed"),
    [
        (State.CONNECTING, None, True),
        (State.CATCHING_UP, None, True),
        (State.LIVE, None, True),
        (State.STALE, "no heartbeat nor data", True),
        (State.DOWN, "connection closed (code 1006)", True),
        (State.FAILED, "127.0.0.1:1/soccer refused the vendor token: no", True),  # retried
        (State.FAILED, f"{GAVE_UP}: the vendor answered HTTP 404 5 times in a row", False),
        (State.FINISHED, None, False),
    ],
)
def test_every_stream_but_a_finished_or_given_up_one_is_resumed(
    state: State, reason: str | None, resumed: bool
) -> None:
    checkpoint = Checkpoint(Sport.SOCCER, state, reason, Resume(12, 40, state is State.FINISHED))
    assert checkpoint.unfinished is resumed
