"""Team members in the chat, on every channel: join, share, attribution, completion, /dagiup, /thongke.

One app runs the web chat API, Telegram, Zalo OA and Zalo Bot against fakes on loopback; the
command line talks to the same SQLite file. On each channel a member joins with an invite code,
gets their links, a citizen arrives through one of them and says they finished the guide, and the
member's /thongke counts that citizen once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from api.settings import PROJECT_ROOT
from api.team import repo
from api.team.chat import JOIN_WINDOW_S
from tests.e2e.all_channels import AllChannels, open_all_channels, signed_oa
from tests.fakes.network import loopback_guard
from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegramAPI, message_update
from tests.fakes.zalo_api import bot_update, oa_event
from tests.team.factories import make_tree

BASE = "https://troly06.example.gov.vn"
_ids = itertools.count(int(time.time()) % 100_000 * 100 + 7_000_000)

Say = Callable[[str, str], Awaitable[str]]


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory, telegram_fake_server: FakeTelegramAPI
                ) -> AsyncIterator[tuple[AllChannels, Path]]:
    """The app with every channel on a SQLite file (the CLI uses the same file)."""
    db = tmp_path_factory.mktemp("team") / "app.sqlite3"
    with loopback_guard() as refused:
        async with open_all_channels(f"sqlite:///{db}", telegram_fake_server) as app:
            yield app, db
    assert not refused


async def _settled(read: Callable[[], list[str]], before: int, timeout: float = 10.0) -> str:
    """The texts that arrived after the first ``before``, once no more come for a moment."""
    deadline = time.monotonic() + timeout
    seen, quiet_since = before, time.monotonic()
    while time.monotonic() < deadline:
        now = len(read())
        if now != seen:
            seen, quiet_since = now, time.monotonic()
        elif now > before and time.monotonic() - quiet_since > 0.4:
            break
        await asyncio.sleep(0.05)
    return "\n\n".join(read()[before:])


def _sayer(w: AllChannels, channel: str) -> Say:
    """``say(user, text)`` on ``channel``: the bot's answer as one text."""
    async def web(user: str, text: str) -> str:
        body = {"user_id": user, "text": text}
        r = await w.client.post("/api/v1/chat", json=body)
        assert r.status_code == 200, r.text
        return "\n\n".join(x["text"] for x in r.json()["replies"])

    async def telegram(user: str, text: str) -> str:
        chat = int(user)
        read = lambda: [str(c.params.get("text", c.params.get("caption", ""))) for c in w.telegram.calls(chat_id=chat)
                        if c.method in ("sendMessage", "sendDocument")]
        before = len(read())
        r = await w.telegram_hook(json.dumps(message_update(chat, text)).encode())
        assert r.status_code == 200
        return await _settled(read, before)

    async def zalo_oa(user: str, text: str) -> str:
        read = lambda: w.zalo_oa.texts_to(user)
        before = len(read())
        raw, _ = signed_oa(oa_event("user_send_text", user, text=text))
        assert (await w.zalo_oa_hook(raw)).status_code == 200
        return await _settled(read, before)

    async def zalo_bot(user: str, text: str) -> str:
        read = lambda: [str(p.get("text")) for p in w.zalo_bot.sent() if p.get("chat_id") == user]
        before = len(read())
        assert (await w.zalo_bot_hook(json.dumps(bot_update(text=text, chat_id=user)).encode())).status_code == 200
        return await _settled(read, before)

    return {"web": web, "telegram": telegram, "zalo_oa": zalo_oa, "zalo_bot": zalo_bot}[channel]


def _code_in(text: str) -> str:
    found = re.search(r"\?start=f-install-r([A-Za-z0-9_]{8})\b", text)
    assert found is not None, text[:800]
    return found.group(1)


@pytest.mark.parametrize("channel", ["web", "telegram", "zalo_oa", "zalo_bot"])
async def test_a_member_joins_shares_and_sees_the_citizen_they_helped(
        world: tuple[AllChannels, Path], channel: str) -> None:
    w, _ = world
    tree = make_tree(w.store, name=f"Tổ {channel}")
    say = _sayer(w, channel)
    member, citizen, other = (str(next(_ids)) for _ in range(3))

    assert "chưa đúng" not in (await say(member, "/chiase")).lower()  # not a member yet: told how to join
    joined = await say(member, f"/thamgia {tree.code} Trần Văn Bình")
    assert "Chào mừng Trần Văn Bình" in joined and f"Tổ {channel}" in joined
    assert "đã là thành viên" in await say(member, f"thamgia {tree.code}")

    shared = await say(member, "chia sẻ")
    code = _code_in(shared)
    assert f"{BASE}/?start=f-install-r{code}" in shared
    assert f"https://t.me/{BOT_USERNAME}?start=f-install-r{code}" in shared
    steps = await say(member, "/chiase 1")
    assert f"{BASE}/?start=f-install-ios_store-r{code}" in steps and f"/l/{code}/install-a5.pdf" in steps

    # A citizen follows the link to the guide's last step, and says they finished.
    arrived = await say(citizen, f"/start f-install-done-r{code}")
    assert "Bạn đã làm xong chưa?" in arrived
    assert "Chúc mừng" in await say(citizen, "Đã làm xong")
    # Clicking again, or another member's link later, counts nothing more.
    await say(citizen, f"/start f-install-done-r{code}")
    await say(citizen, "Đã làm xong")
    # A typed unknown code is ignored without an error for the citizen.
    assert "Bước" in await say(other, "/start f-install-rZZZZ_999")

    assert "Đã ghi 3 lượt" in await say(member, "/dagiup mức 2 3")
    stats = await say(member, "thống kê")
    assert "tiếp cận qua liên kết của bạn: 1" in stats, stats
    assert "hoàn thành hướng dẫn: 1" in stats and "giúp trực tiếp: 3" in stats and "4/10" in stats
    assert "Phường Kinh Bắc" in stats

    # Somebody else's guesses are refused politely, then rate-limited. The budget counts in fixed
    # windows of the server's clock: six guesses straddling a window's end would count in two, so
    # they start in a fresh window when the current one is about to end.
    left = JOIN_WINDOW_S - int(time.time()) % JOIN_WINDOW_S
    if left < 60:
        await asyncio.sleep(left + 1)
    guesser = str(next(_ids))
    refusals = [await say(guesser, f"/thamgia WRONG{i}CODE") for i in range(6)]
    assert all("không đúng" in r for r in refusals[:5]) and "quá nhiều lần" in refusals[5]


async def test_the_web_payload_attributes_and_telegram_gets_the_leaflet(world: tuple[AllChannels, Path]) -> None:
    w, _ = world
    tree = make_tree(w.store, name="Tổ leaflet")
    member = str(next(_ids))
    await _sayer(w, "telegram")(member, f"/thamgia {tree.code}")
    await _sayer(w, "telegram")(member, "/chiase 1")
    docs = [c for c in w.telegram.calls("sendDocument", chat_id=int(member))]
    assert docs and docs[-1].params["document"]["data"].startswith(b"%PDF")
    assert docs[-1].params["document"]["filename"] == "to-roi-install-a4.pdf"
    with w.store.unit() as unit:
        m = repo.member_for_chat(unit, channel="telegram", external_id=member)
    assert m is not None
    # The contract: the payload of a /chiase link through POST /api/v1/chat attributes the user.
    r = await w.client.post("/api/v1/chat", json={"user_id": "web-citizen-1", "payload": f"f-l2-r{m.referral_code}"})
    assert r.status_code == 200 and r.json()["match"]["kind"] == "flow"
    stats = await _sayer(w, "telegram")(member, "/thongke")
    assert "liên kết của bạn: 1" in stats
    # The member's own account following their link is not counted.
    await _sayer(w, "telegram")(member, f"/start f-l2-r{m.referral_code}")
    assert "liên kết của bạn: 1" in await _sayer(w, "telegram")(member, "/thongke")


def test_the_command_line(world: tuple[AllChannels, Path]) -> None:
    w, db = world
    tree = make_tree(w.store, name="Tổ dòng lệnh")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PUBLIC_BASE_URL": BASE, "LOG_LEVEL": "WARNING",
           "CONTENT_SYNC_ON_START": "false"}
    env.pop("TELEGRAM_BOT_TOKEN", None)

    def ask(user: str, *lines: str) -> list[dict[str, object]]:
        out = subprocess.run([sys.executable, "-m", "bot", "ask", "--user", user], cwd=PROJECT_ROOT, env=env,
                             input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120, check=True)
        return [json.loads(line) for line in out.stdout.splitlines()]

    joined, shared = ask("cli-member", f"/thamgia {tree.code} Lê Hoa", "/chiase")
    assert "Chào mừng Lê Hoa" in str(joined["text"]) and joined["match"]["kind"] == "menu"  # type: ignore[index]
    code = _code_in(str(shared["text"]))
    ask("cli-citizen", f"/start f-l1-r{code}")
    (stats,) = ask("cli-member", "/thongke")
    assert "liên kết của bạn: 1" in str(stats["text"])
