"""``python -m bot chaos``: a short run of each fault scenario against the real app (issue 10).

Each run starts the app under uvicorn on a fresh database with a fake Bot API, posts updates, and
strikes: SIGKILL and restart, the database gone, the Bot API failing. Nothing may be lost; only a
kill may repeat a send, and only one that was in flight (at most the sender's concurrency, 16).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SENDER_CONCURRENCY = 16


def chaos(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bot", "chaos", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=240)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, (done.returncode, done.stdout, done.stderr[-3000:])
    verdict: dict[str, Any] = json.loads(lines[0])
    assert done.returncode == (1 if verdict["lost"] or verdict["duplicated"] else 0)
    return verdict


# One database per scenario keeps the suite short (`make chaos` runs every scenario on both): the
# kill on SQLite, the database loss on PostgreSQL (the proxy cutting live connections). The outbox's
# crash safety itself is tested on both databases in test_telegram_outbox.py.
@pytest.mark.parametrize("db", ["sqlite"])
def test_kill_loses_nothing_and_the_dead_process_rows_come_back_within_seconds(db: str) -> None:
    v = chaos("kill", "--db", db, "--updates", "120", "--rate", "60", "--at", "1")
    assert v["lost"] == 0 and v["accepted"] == 120
    assert v["duplicated"] <= SENDER_CONCURRENCY
    # Rows the dead process had claimed come back after its 10 s lease, not after minutes.
    assert v["delayed"] == 0 and v["max_delay_s"] < 15, v


@pytest.mark.parametrize("db", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_database_loss_loses_and_repeats_nothing(db: str) -> None:
    v = chaos("db-loss", "--db", db, "--updates", "90", "--rate", "60", "--at", "0.5", "--for", "3")
    assert (v["lost"], v["duplicated"], v["delayed"], v["accepted"]) == (0, 0, 0, 90), v
    assert set(v["webhook_answers"]) <= {"200", "503", "ReadTimeout"}, v  # never a 500


def test_bot_api_down_loses_and_repeats_nothing() -> None:
    v = chaos("api-down", "--updates", "90", "--rate", "60", "--at", "0.5", "--for", "3")
    assert (v["lost"], v["duplicated"], v["delayed"], v["accepted"]) == (0, 0, 0, 90), v
    assert v["webhook_answers"] == {"200": 90}  # the webhooks never waited for the platform
