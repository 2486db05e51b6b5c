"""``bench-broadcast`` (an announcement to N subscribers through the fake Bot API) and ``announce-worker``.

The benchmark seeds N Telegram subscribers in a fresh database (SQLite file or PostgreSQL schema),
writes one announcement to everyone and sends it with the real delivery path: the in-process runner
on SQLite, a procrastinate worker on PostgreSQL. The fake Bot API answers 429 (``retry_after`` 1)
to any message beyond ``--limit`` within one second, as Telegram does, and records every message
with its arrival time. The final stdout line is
``{"sent", "duplicates", "lost", "rate_per_s", "limit_per_s", "unconfirmed", …}``: the rate is measured at the
fake, from the first message to the last.

``announce-worker`` runs the announcement runner alone (settings from the environment), for a
separate worker process or a test that kills one.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import signal
import sys
import time
from typing import Any

__all__ = ["add_arguments", "main", "worker_main"]

log = logging.getLogger(__name__)
_CHAT_BASE = 5_000_000_000


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``bench-broadcast``."""
    p.add_argument("--subscribers", type=int, default=3000)
    p.add_argument("--limit", type=int, default=30, help="the fake's limit, messages per second (also our setting)")
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")


def seed(store: Any, n: int, *, now: dt.datetime) -> None:
    """N users of channel telegram with an active subscription (chat id = external id)."""
    from sqlalchemy import insert, select

    from api.store.models import metadata

    users, subs = metadata.tables["users"], metadata.tables["announce_subscriptions"]
    with store.unit() as unit:
        conn = unit.connection
        conn.execute(insert(users), [{"channel": "telegram", "external_id": str(_CHAT_BASE + i), "created_at": now,
                                      "last_seen_at": now} for i in range(n)])
        ids = conn.execute(select(users.c.id, users.c.external_id).where(users.c.channel == "telegram")).all()
        conn.execute(insert(subs), [{"user_id": uid, "channel": "telegram", "chat_id": ext,
                                     "context": {"chat_type": "private"}, "commune_code": 4, "province_code": 1,
                                     "status": "active", "asked_at": now, "updated_at": now} for uid, ext in ids])


def _announce(store: Any, now: dt.datetime) -> int:
    from api.announce import repo
    from api.announce.delivery import start_now

    with store.unit() as unit:
        new_id = repo.create(unit, title="bench", text="Chủ nhật này có tổ hỗ trợ cài VNeID tại nhà văn hóa.",
                             image_url=None, buttons=[("Hướng dẫn mức 2", "f-l2")], communes=[], by="bench", now=now)
        start_now(unit, new_id, now=now, send_at=None)
    return new_id


async def _run(store: Any, settings: Any, announcement_id: int) -> None:
    from api.announce.queue import AnnounceRunner, build_broadcaster

    broadcaster, clients = build_broadcaster(settings, store)
    try:
        if store.dialect != "postgresql":
            await broadcaster.run(announcement_id)
            return
        runner = AnnounceRunner(store, broadcaster, database_url=settings.database_url, sweep_s=0.5,
                                stalled_s=settings.announce_stalled_s)
        await runner.start()
        try:
            while True:
                with store.unit(readonly=True) as unit:
                    from api.announce import repo

                    view = repo.get(unit, announcement_id)
                if view is not None and view.status == "done":
                    return
                await asyncio.sleep(0.5)
        finally:
            await runner.stop()
    finally:
        for client in clients:
            await client.aclose()


def main(args: argparse.Namespace) -> int:
    """Run the benchmark; one JSON line on stdout."""
    from pydantic import SecretStr

    from api.announce import repo
    from api.settings import Settings
    from api.store import Store
    from api.store.db import make_engine, migrate
    from bot.loadrig import SECRET, TOKEN, database, fake_bot_api_process

    n = int(args.subscribers)
    if n < 1 or args.limit < 1:
        print("--subscribers and --limit must be positive", file=sys.stderr)
        return 2
    with fake_bot_api_process(limit_per_s=args.limit) as (url, fake_stats), database(args.db) as db_url:
        settings = Settings(_env_file=None, database_url=db_url, telegram_bot_token=SecretStr(TOKEN),
                            telegram_webhook_secret=SecretStr(SECRET), telegram_api_base_url=url,
                            announce_rate_per_s=float(args.limit))
        engine = make_engine(db_url)
        try:
            migrate(engine)
            store = Store(engine)
            now = dt.datetime.now(dt.UTC)
            seed(store, n, now=now)
            announcement_id = _announce(store, now)
            started = time.monotonic()
            asyncio.run(_run(store, settings, announcement_id))
            elapsed = time.monotonic() - started
            with store.unit(readonly=True) as unit:
                unconfirmed = repo.progress(unit, announcement_id)["unconfirmed"]
        finally:
            engine.dispose()
        stats = fake_stats()
        per_chat = {int(k): int(v) for k, v in stats["per_chat"].items()}
        duplicates = sum(c - 1 for c in per_chat.values() if c > 1)
        lost = sum(1 for i in range(n) if (_CHAT_BASE + i) not in per_chat)
        sent = int(stats["sent"])
        span = (stats["last_at"] - stats["first_at"]) if sent > 1 else 0.0
        rate = (sent - 1) / span if span > 0 else 0.0
        result = {"sent": sent, "duplicates": duplicates, "lost": lost, "rate_per_s": round(rate, 2),
                  "limit_per_s": args.limit, "subscribers": n, "db": args.db, "elapsed_s": round(elapsed, 1),
                  "rate_share": round(rate / args.limit, 3), "refused_429": int(stats["rate_limited"]),
                  "unconfirmed": unconfirmed}
    print(json.dumps(result), flush=True)
    return 0


def worker_main(args: argparse.Namespace) -> int:
    """Run the announcement runner until SIGTERM/SIGINT (settings from the environment)."""
    from api.announce.queue import AnnounceRunner, build_broadcaster
    from api.settings import Settings
    from api.store import Store
    from api.store.db import make_engine, migrate

    settings = Settings() if args.database_url is None else Settings(database_url=args.database_url)
    engine = make_engine(settings.database_url)
    migrate(engine)
    store = Store(engine)

    async def run() -> None:
        broadcaster, clients = build_broadcaster(settings, store)
        runner = AnnounceRunner(store, broadcaster, database_url=settings.database_url, sweep_s=0.5,
                                stalled_s=settings.announce_stalled_s)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await runner.start()
        print(json.dumps({"worker": "started", "queue": "procrastinate" if runner.postgresql else "in-process"}),
              flush=True)
        try:
            await stop.wait()
        finally:
            await runner.stop()
            for client in clients:
                await client.aclose()

    try:
        asyncio.run(run())
    finally:
        engine.dispose()
    return 0
