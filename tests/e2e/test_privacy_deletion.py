"""«Xóa dữ liệu của tôi» leaves nothing keyed to the citizen (issue 10, defect 6).

A Telegram citizen talks to the bot (their words carry a marker), then asks for deletion. After the
confirmation is delivered: no table holds the chat id or the marker (the outbox rows, the rate
budgets and the dedup rows included); on SQLite neither the database file nor its write-ahead log
holds their bytes any more; on PostgreSQL the personal-data tables were vacuumed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import String, cast, func, or_, select, text

from api.store import ERASE_DUE_KEY, Store
from api.store.models import Attribution, Completion, metadata
from api.team import repo
from tests.e2e.telegram_harness import TelegramApp, open_telegram_app, telegram_settings
from tests.fakes.telegram_api import FakeTelegramAPI, callback_update, message_update
from tests.team.factories import add_member, make_tree

CHAT = 731_902_468_155
MARKER = "ngựavằntímzqxw"


def _rows_naming(store: Store, needles: list[str]) -> dict[str, int]:
    """How many rows of each table hold one of ``needles`` in any column (as text)."""
    found: dict[str, int] = {}
    with store.unit(readonly=True) as unit:
        for table in metadata.sorted_tables:
            columns = [cast(c, String) for c in table.columns]
            hits = or_(*(func.coalesce(c, "").contains(n) for c in columns for n in needles))
            count = unit.connection.execute(select(func.count()).select_from(table).where(hits)).scalar_one()
            if count:
                found[table.name] = count
    return found


async def _until(check: object, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


def _erase_due(store: Store) -> bool:
    with store.unit(readonly=True) as unit:
        return unit.get_kv(key=ERASE_DUE_KEY) is not None


def _unsent(store: Store) -> int:
    with store.unit(readonly=True) as unit:
        return unit.connection.execute(text("SELECT count(*) FROM outbox WHERE status <> 'sent'")).scalar_one()


def _team_rows(store: Store, user_id: int | None) -> tuple[int, int]:
    """(attributions, completions) whose citizen is ``user_id`` (None: anonymous)."""
    with store.unit(readonly=True) as unit:
        return unit.count(Attribution, user_id=user_id), unit.count(Completion, user_id=user_id)


async def _talk_then_delete(tg: TelegramApp, fake: FakeTelegramAPI) -> None:
    # The citizen came through a team member's link and said they finished the guide.
    member = add_member(tg.store, make_tree(tg.store).team)
    assert (await tg.post(message_update(CHAT, f"/start f-install-done-r{member.referral_code}"))).status_code == 200
    assert (await tg.post(callback_update(CHAT, "dy-install"))).status_code == 200
    with tg.store.unit(readonly=True) as unit:
        user_id = unit.find_user(channel="telegram", external_id=str(CHAT))
    assert user_id is not None and _team_rows(tg.store, user_id) == (1, 1)
    await _until(lambda: _unsent(tg.store) == 0, "the guide's messages were not delivered")
    sent_before = len(fake.calls("sendMessage", chat_id=CHAT))
    for words in (f"tôi tên là {MARKER}, quên mật khẩu VNeID", "hướng dẫn mức 2"):
        assert (await tg.post(message_update(CHAT, words))).status_code == 200
    await fake.wait_for(lambda calls: len(calls) >= sent_before + 2, method="sendMessage", chat_id=CHAT)
    await _until(lambda: _unsent(tg.store) == 0, "the answers were not delivered")
    assert _rows_naming(tg.store, [str(CHAT), MARKER])  # the conversation is there before
    before = len(fake.calls("sendMessage", chat_id=CHAT)) + len(fake.calls("editMessageText", chat_id=CHAT))
    assert (await tg.post(callback_update(CHAT, "c-delete"))).status_code == 200
    await fake.wait_for(
        lambda _: len(fake.calls("sendMessage", chat_id=CHAT)) + len(fake.calls("editMessageText", chat_id=CHAT))
        > before,
        timeout=10,
    )
    # The confirmation's own outbox row goes once it is sent.
    await _until(lambda: not _rows_naming(tg.store, [str(CHAT), MARKER]),
                 f"rows still name the citizen: {_rows_naming(tg.store, [str(CHAT), MARKER])}")
    # The member keeps the counts, anonymous: no row points to the citizen any more.
    assert _team_rows(tg.store, user_id) == (0, 0)
    assert _team_rows(tg.store, None) == (1, 1)
    with tg.store.unit(readonly=True) as unit:
        (stats,) = repo.member_stats(unit, members=[member])
    assert (stats.reached, stats.completed) == (1, 1)


async def test_sqlite_files_keep_no_trace_after_a_deletion(tmp_path: Path, fake_telegram: FakeTelegramAPI) -> None:
    settings = telegram_settings(tmp_path, fake_telegram)
    async with open_telegram_app(settings, fake_telegram) as tg:
        await _talk_then_delete(tg, fake_telegram)
        await _until(lambda: not _erase_due(tg.store), "the files were not scrubbed")
        database = tmp_path / "telegram.sqlite3"
        for path in (database, database.with_name(database.name + "-wal")):
            if path.exists():
                data = path.read_bytes()
                assert MARKER.encode() not in data, path.name
                assert str(CHAT).encode() not in data, path.name
        # The bot answers the same chat again as a new citizen.
        assert (await tg.post(message_update(CHAT, "xin chào"))).status_code == 200


@pytest.mark.postgres
async def test_postgres_rows_are_gone_and_vacuumed_after_a_deletion(
    pg_schema_url: str, fake_telegram: FakeTelegramAPI, tmp_path: Path
) -> None:
    settings = telegram_settings(tmp_path, fake_telegram, database_url=pg_schema_url)
    async with open_telegram_app(settings, fake_telegram) as tg:
        deleted_at = dt.datetime.now(dt.UTC)
        await _talk_then_delete(tg, fake_telegram)
        await _until(lambda: not _erase_due(tg.store), "the tables were not vacuumed", timeout=20)
        with tg.store.unit(readonly=True) as unit:
            rows = unit.connection.execute(text(
                "SELECT relname, last_vacuum FROM pg_stat_user_tables "
                "WHERE schemaname = current_schema() AND relname IN ('message_log', 'outbox', 'users')"
            )).all()
        assert len(rows) == 3 and all(r.last_vacuum is not None and r.last_vacuum >= deleted_at for r in rows), rows
