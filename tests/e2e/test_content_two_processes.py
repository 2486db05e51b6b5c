"""Two app processes on one SQLite file: an edit through A's API reaches B's chat answers within 2 s."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.console.security import Role, create_account
from api.store import Store
from api.store.db import make_engine
from bot.loadrig import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "mat-khau-that-dai-2026"
ENTRY = "hotline_c06"


def _serve(db_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "LOG_LEVEL": "WARNING", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
           "CHAT_RATE_PER_MINUTE": "1000", "CHAT_IP_RATE_PER_MINUTE": "1000"}
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "SECRET_KEY"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the app did not become healthy in 90 s")


@pytest.fixture(scope="module")
def two_apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('two') / 'shared.sqlite3'}"
    first, a = _serve(db_url)  # A migrates and seeds first; B then finds the content in place.
    procs = [first]
    try:
        second, b = _serve(db_url)
        procs.append(second)
        engine = make_engine(db_url)
        try:
            with Store(engine).unit() as unit:
                create_account(unit, username="two-editor", password=PASSWORD, role=Role.EDITOR,
                               now=dt.datetime.now(dt.UTC))
        finally:
            engine.dispose()
        yield a, b
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_an_edit_on_process_a_is_answered_by_process_b(two_apps: tuple[str, str]) -> None:
    a, b = two_apps
    with httpx.Client(timeout=10) as client:
        token = client.post(f"{a}/api/v1/admin/token", data={"username": "two-editor", "password": PASSWORD})
        assert token.status_code == 200, token.text
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        before = client.post(f"{b}/api/v1/chat", json={"user_id": "two-1", "payload": f"q-{ENTRY}"}).json()
        entry = client.get(f"{a}/api/v1/admin/faq/{ENTRY}", headers=auth).json()
        new_answer = "Tổng đài 1900 0368 (sửa trên tiến trình A, đọc ở tiến trình B)."
        assert not before["replies"][0]["text"].startswith(new_answer)

        saved = client.put(f"{a}/api/v1/admin/faq/{ENTRY}", json={**entry, "answer": new_answer}, headers=auth)
        assert saved.status_code == 200, saved.text
        start = time.monotonic()
        while True:
            reply = client.post(f"{b}/api/v1/chat", json={"user_id": "two-1", "payload": f"q-{ENTRY}"}).json()
            elapsed = time.monotonic() - start
            if reply["replies"][0]["text"].startswith(new_answer):
                break
            assert elapsed < 2.0, f"process B still answers the old text after {elapsed:.2f} s"
            time.sleep(0.05)
    print(f"\nsave on process A → new answer on process B after {elapsed * 1000:.0f} ms")
    assert elapsed < 2.0
