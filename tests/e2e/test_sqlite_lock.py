"""An outside write lock on the SQLite file never freezes the server (issue 10, defect 3).

Another process holds SQLite's write lock (``BEGIN IMMEDIATE``) for a while. Telegram updates that
arrive meanwhile wait for it off the event loop, and every other route, ``/`` and ``/healthz``
included, keeps answering at once; health says ``degraded`` until the lock is let go.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.telegram_harness import open_telegram_app, telegram_settings
from tests.fakes.telegram_api import FakeTelegramAPI, message_update

HOLD_S = 2.5

_HOLDER = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")
"""


def _hold_write_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


async def test_routes_answer_while_another_process_holds_the_write_lock(
    tmp_path: Path, fake_telegram: FakeTelegramAPI
) -> None:
    settings = telegram_settings(tmp_path, fake_telegram)
    async with open_telegram_app(settings, fake_telegram) as tg:
        assert (await tg.post(message_update(7001, "xin chào"))).status_code == 200  # warm
        holder = _hold_write_lock(tmp_path / "telegram.sqlite3", HOLD_S)
        try:
            locked_at = time.monotonic()
            # Two updates arrive while the lock is held: they wait for it, off the event loop.
            pending = [asyncio.create_task(tg.post(message_update(7002 + i, "quên mật khẩu VNeID")))
                       for i in range(2)]
            await asyncio.sleep(0.2)
            timings: dict[str, float] = {}
            for path in ("/healthz", "/", "/healthz"):
                started = time.monotonic()
                response = await tg.client.get(path)
                timings[path] = time.monotonic() - started
                assert response.status_code == 200
                if path == "/healthz":
                    health = response.json()
                    assert health["status"] == "degraded" and health["database"].startswith("busy"), health
            assert time.monotonic() - locked_at < HOLD_S - 0.5, "the checks ran after the lock was gone"
            assert max(timings.values()) < 0.5, timings
            results = await asyncio.gather(*pending)
        finally:
            holder.wait(timeout=10)
            assert holder.stdout is not None
            holder.stdout.close()
        assert [r.status_code for r in results] == [200, 200]
        assert all(r.json()["status"] == "answered" for r in results)
        assert time.monotonic() - locked_at >= HOLD_S - 0.2  # they did wait for the lock
        health = (await tg.client.get("/healthz")).json()
        assert health["status"] == "ok" and health["database"] == "ok"
        await fake_telegram.wait_for(lambda calls: len(calls) >= 1, method="sendMessage", chat_id=7003)
