"""Two app instances on one PostgreSQL schema: a redelivered update is answered once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.e2e.telegram_harness import open_telegram_app, telegram_settings
from tests.fakes.telegram_api import FakeTelegramAPI, callback_update, message_update

pytestmark = pytest.mark.postgres


async def test_two_instances_answer_a_redelivered_update_once(
    pg_schema_url: str, fake_telegram: FakeTelegramAPI, tmp_path: Path
) -> None:
    one = telegram_settings(tmp_path, fake_telegram, database_url=pg_schema_url)
    two = telegram_settings(tmp_path, fake_telegram, database_url=pg_schema_url, content_sync_on_start=False)
    async with open_telegram_app(one, fake_telegram) as a, open_telegram_app(two, fake_telegram) as b:
        assert a.store.dialect == "postgresql"
        for chat, update in [(880001, message_update(880001, "quên mật khẩu VNeID")),
                             (880002, callback_update(880002, "menu"))]:
            results = await asyncio.gather(a.post(update), b.post(update), a.post(update), b.post(update))
            assert [r.status_code for r in results] == [200] * 4
            assert sorted(r.json()["status"] for r in results) == ["answered", "duplicate", "duplicate", "duplicate"]
            calls = await fake_telegram.wait_for(lambda cs: len(cs) >= 1, method="sendMessage", chat_id=chat)
            await asyncio.sleep(0.5)
            assert len(fake_telegram.calls("sendMessage", chat_id=chat)) == len(calls) == 1
        answers = fake_telegram.calls("answerCallbackQuery")
        assert len(answers) == 1
