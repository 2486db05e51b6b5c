"""Two app instances on one PostgreSQL schema: a redelivered update is answered once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from api.db import make_engine
from tests.e2e.telegram_harness import open_telegram_app, telegram_settings
from tests.fakes.telegram_api import FakeTelegramAPI, callback_update, message_update

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_schema_url(postgres_url: str) -> Iterator[str]:
    """``TEST_DATABASE_URL`` with a fresh schema first on the search_path (dropped afterwards)."""
    schema = f"tg_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres_url, pool_size=1)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


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
