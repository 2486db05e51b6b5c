"""Fault scenarios: ``python -m bot chaos kill|db-loss|api-down`` against the real app on loopback.

Each scenario starts a fake Bot API, a fresh database (``--db sqlite|postgres``) and the real app
under uvicorn in a child process (:mod:`bot.loadrig`), then posts ``--updates`` Telegram updates,
one per chat, at ``--rate`` per second. Like Telegram, the client delivers an update again (after
half a second) until it gets a 200. ``--at`` seconds in, the fault strikes:

    kill      the app is killed with SIGKILL mid-stream and started again on the same database
    db-loss   the database goes away for ``--for`` seconds: on SQLite another process holds the
              write lock; on PostgreSQL a TCP proxy between the app and the server cuts every
              connection and refuses new ones
    api-down  the Bot API answers every send with 500 or 429 (``retry_after`` 1) for ``--for`` s

Then it waits until every chat has its answer (or ``--deadline`` seconds after the fault ended)
and prints one JSON line: ``lost`` (chats that never got an answer), ``duplicated`` (chats that
got the same message twice), ``delayed`` (chats whose answer came more than ``--delay-limit``
seconds after both its 200 and the end of the fault), with the worst delay and the counts of
webhook answers. Exit status 1 when anything was lost or duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.loadrig import SECRET, AppProcess, FakeBotApi, Sent, database, fake_bot_api, update_body

__all__ = ["SCENARIOS", "Plan", "main", "run_scenario"]

SCENARIOS = ("kill", "db-loss", "api-down")
QUESTION = "quên mật khẩu VNeID thì làm sao"
FIRST_CHAT = 500_000_000


@dataclass(frozen=True, slots=True)
class Plan:
    """What to run: the scenario, the traffic and the fault's timing."""

    scenario: str
    db: str = "sqlite"
    updates: int = 600
    rate: float = 120.0
    at_s: float = 4.0
    for_s: float = 10.0
    deadline_s: float = 90.0
    delay_limit_s: float = 20.0


@dataclass(slots=True)
class _Traffic:
    """What the client saw: when each update got its 200, and every other answer."""

    accepted_at: dict[int, float] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)


# -- the faults ---------------------------------------------------------------------------------


class _TcpProxy:
    """A loopback TCP proxy to PostgreSQL that can cut every connection and refuse new ones."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._down_until = 0.0
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="chaos-proxy")

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def cut(self, seconds: float) -> None:
        """Close every open connection now and refuse new ones for ``seconds``."""
        assert self._loop is not None
        self._down_until = time.monotonic() + seconds
        self._loop.call_soon_threadsafe(self._close_all)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def _close_all(self) -> None:
        for writer in list(self._writers):
            writer.close()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        server = loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            loop.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self._down_until:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                dst.close()
                self._writers.discard(dst)

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@contextmanager
def _through_proxy(url: str) -> Iterator[tuple[str, _TcpProxy]]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    proxy = _TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    proxy.start()
    try:
        yield parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False), proxy
    finally:
        proxy.stop()


_LOCK_HOLDER = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")
"""


def _hold_sqlite_lock(url: str, seconds: float) -> None:
    """Another process takes SQLite's write lock and keeps it ``seconds`` (blocks until it lets go)."""
    path = url.removeprefix("sqlite:///")
    with subprocess.Popen([sys.executable, "-c", _LOCK_HOLDER, path, str(seconds)], stdout=subprocess.PIPE,
                          text=True) as holder:
        assert holder.stdout is not None
        holder.stdout.readline()
        holder.wait(timeout=seconds + 60)


async def _strike(plan: Plan, app: AppProcess, api: FakeBotApi, db_url: str, proxy: _TcpProxy | None) -> float:
    """Cause the fault ``plan.at_s`` seconds from now; returns when it ended (``time.monotonic()``)."""
    await asyncio.sleep(plan.at_s)
    if plan.scenario == "kill":
        app.kill()
        await asyncio.to_thread(app.start)
    elif plan.scenario == "api-down":
        api.set_failing(True)
        await asyncio.sleep(plan.for_s)
        api.set_failing(False)
    elif proxy is not None:
        proxy.cut(plan.for_s)
        await asyncio.sleep(plan.for_s)
    else:
        await asyncio.to_thread(_hold_sqlite_lock, db_url, plan.for_s)
    return time.monotonic()


# -- the traffic --------------------------------------------------------------------------------


async def _deliver(app: AppProcess, plan: Plan, traffic: _Traffic, giving_up_at: list[float]) -> None:
    """Post every update at the planned rate, each again until it gets a 200 (as Telegram does)."""
    import httpx

    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    # Idle connections are dropped after 2 s, before uvicorn closes them (its keep-alive is 5 s): a
    # request sent on a connection the server is closing at that moment fails with a reset
    # (httpx.ReadError) that says nothing about the app; seen once in the full suite under load.
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=2.0)
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=10.0, limits=limits) as client:

        async def one(index: int) -> None:
            await asyncio.sleep(max(0.0, started + index / plan.rate - time.monotonic()))
            body = update_body(1 + index, FIRST_CHAT + index, QUESTION)
            while time.monotonic() < giving_up_at[0]:
                try:
                    r = await client.post(app.base + "/webhooks/telegram", content=body, headers=headers)
                    key = str(r.status_code)
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                traffic.statuses[key] += 1
                if key == "200":
                    traffic.accepted_at[FIRST_CHAT + index] = time.monotonic()
                    return
                await asyncio.sleep(0.5)

        await asyncio.gather(*(one(i) for i in range(plan.updates)))


def _answered(api: FakeBotApi, chats: int) -> bool:
    return len({s.chat_id for s in api.records()}) >= chats


def _verdict(plan: Plan, records: list[Sent], traffic: _Traffic, fault_end: float) -> dict[str, Any]:
    by_chat: dict[int, list[Sent]] = defaultdict(list)
    for sent in records:
        by_chat[sent.chat_id].append(sent)
    chats = range(FIRST_CHAT, FIRST_CHAT + plan.updates)
    lost = [c for c in chats if not by_chat.get(c)]
    duplicated = [c for c in chats if any(n > 1 for n in Counter(s.text for s in by_chat.get(c, [])).values())]
    delays: list[float] = []
    for chat in chats:
        if by_chat.get(chat) and chat in traffic.accepted_at:
            due = max(traffic.accepted_at[chat], fault_end)
            delays.append(max(0.0, by_chat[chat][0].at - due))
    return {
        "scenario": plan.scenario,
        "db": plan.db,
        "updates": plan.updates,
        "rate_per_s": plan.rate,
        "fault_at_s": plan.at_s,
        "fault_for_s": None if plan.scenario == "kill" else plan.for_s,
        "lost": len(lost),
        "duplicated": len(duplicated),
        "delayed": sum(1 for d in delays if d > plan.delay_limit_s),
        "delay_limit_s": plan.delay_limit_s,
        "max_delay_s": round(max(delays), 2) if delays else None,
        "median_delay_s": round(statistics.median(delays), 3) if delays else None,
        "accepted": len(traffic.accepted_at),
        "webhook_answers": dict(sorted(traffic.statuses.items())),
        "messages_sent": len(records),
    }


async def _run(plan: Plan, app: AppProcess, api: FakeBotApi, db_url: str, proxy: _TcpProxy | None) -> dict[str, Any]:
    traffic = _Traffic()
    giving_up_at = [float("inf")]
    strike = asyncio.create_task(_strike(plan, app, api, db_url, proxy))
    deliver = asyncio.create_task(_deliver(app, plan, traffic, giving_up_at))
    fault_end = await strike
    giving_up_at[0] = fault_end + plan.deadline_s
    await deliver
    while not _answered(api, plan.updates) and time.monotonic() < giving_up_at[0]:
        await asyncio.sleep(0.2)
    await asyncio.sleep(2.0)  # anything sent twice after the last first answer shows up now
    return _verdict(plan, api.records(), traffic, fault_end)


def run_scenario(plan: Plan) -> dict[str, Any]:
    """Run one scenario from start to end; returns the verdict (the JSON line)."""
    if plan.scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {plan.scenario!r}")
    with fake_bot_api() as (api_url, api), database(plan.db) as db_url:
        if plan.scenario == "db-loss" and plan.db == "postgres":
            with _through_proxy(db_url) as (proxied, proxy), AppProcess(proxied, api_url) as app:
                return asyncio.run(_run(plan, app, api, proxied, proxy))
        with AppProcess(db_url, api_url) as app:
            return asyncio.run(_run(plan, app, api, db_url, None))


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``chaos`` command's arguments."""
    p.add_argument("scenario", choices=SCENARIOS)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--updates", type=int, default=600, help="updates to post, one chat each (default 600)")
    p.add_argument("--rate", type=float, default=120.0, help="updates per second (default 120)")
    p.add_argument("--at", type=float, default=4.0, help="seconds before the fault strikes (default 4)")
    p.add_argument("--for", dest="for_s", type=float, default=10.0,
                   help="db-loss, api-down: how long the fault lasts (default 10 s)")
    p.add_argument("--deadline", type=float, default=90.0,
                   help="seconds after the fault to wait for every answer (default 90)")
    p.add_argument("--delay-limit", type=float, default=20.0,
                   help="an answer later than this after its 200 and the fault's end counts as delayed")


def main(args: argparse.Namespace) -> int:
    """Run the scenario the arguments name and print its JSON line."""
    if args.updates < 1 or args.rate <= 0 or args.at < 0 or args.for_s <= 0:
        raise SystemExit("chaos: --updates, --rate and --for must be positive, --at not negative")
    plan = Plan(args.scenario, db=args.db, updates=args.updates, rate=args.rate, at_s=args.at, for_s=args.for_s,
                deadline_s=args.deadline, delay_limit_s=args.delay_limit)
    verdict = run_scenario(plan)
    sys.stdout.write(json.dumps(verdict, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 1 if verdict["lost"] or verdict["duplicated"] else 0
