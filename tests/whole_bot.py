"""The whole bot on the shipped content, for tests that ask it questions the way ``python -m bot eval``
does: the shell (team commands, the support-point search, hand-off), the core and the matcher, in a
fresh SQLite database, on a fixed day (fees and facets have validity windows).

The ``whole_bot`` fixture is offered to every test through ``tests/conftest.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from api.bootstrap import Services, build_services
from api.conversation import TurnResult, prepare_inbound
from api.settings import Settings

__all__ = ["DAY", "ask_as_new_user", "whole_bot"]

#: The day the whole bot believes it is.
DAY = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def whole_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """The shipped content through the whole bot on :data:`DAY`, one fresh database per test module."""
    db = tmp_path_factory.mktemp("whole-bot") / "whole-bot.sqlite3"
    built = build_services(Settings(database_url=f"sqlite:///{db}"), sync_content=True)
    built.conversation.clock = lambda: DAY
    try:
        yield built
    finally:
        built.close()


def ask_as_new_user(bot: Services, question: str, *, prefix: str) -> TurnResult:
    """One typed question from a CLI user never seen before (``prefix`` and a random tail), as ``eval`` asks."""
    result = bot.conversation.run_turn(
        channel="cli", external_id=f"{prefix}-{uuid.uuid4().hex[:12]}", inbound=prepare_inbound(text=question, source="eval")
    )
    assert result is not None
    return result
