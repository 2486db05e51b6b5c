"""``python -m bot bench-dashboard --rows N``: how long the dashboard takes on N message-log rows.

Seeds a fresh database (a temporary SQLite file, or ``--database-url``, which must be empty) with N
``message_log`` rows (half questions, half answers) from N/10 citizens over 30 days on every channel,
with the events, unanswered questions and hand-offs such traffic leaves, then times the JSON API
and the page through the real app (ASGI, lifespan entered). Prints one JSON line per measure and
a final summary line; timings are medians of ``--repeat`` requests after one warm-up.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select

from api.console.security import Role, create_account
from api.store import Store
from api.store.models import metadata
from bot.core.content import ContentSnapshot

__all__ = ["run", "seed"]

_PASSWORD = "bench-dashboard-password"
_CHANNELS = ("telegram", "zalo_oa", "zalo_bot", "web")
_KINDS = ("faq",) * 10 + ("flow",) * 5 + ("service", "clarify", "fallback", "offtopic", "menu", "greeting")
_BATCH = 5000


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), _BATCH):
        yield rows[i:i + _BATCH]


def seed(store: Store, content: ContentSnapshot, *, rows: int, now: dt.datetime, rng: random.Random) -> dict[str, int]:
    """Insert about ``rows`` message-log rows and the rows around them; returns the counts."""
    t = metadata.tables
    citizens = max(1, rows // 10)
    faq_ids = sorted(content.faq) or ["faq"]
    flows = [(f.id, [s.id for s in f.steps]) for f in (content.flows.get(i) for i in sorted(content.flows.titles()))
             if f is not None] or [("flow", ["start"])]
    start = now - dt.timedelta(days=30)
    counts = {"users": citizens, "message_log": 0, "events": 0, "unanswered": 0, "handoffs": 0}
    with store.unit() as unit:
        c = unit.connection
        c.execute(insert(t["users"]), [{"id": i + 1, "channel": _CHANNELS[i % 4], "external_id": f"bench-{i}",
                                        "created_at": start, "last_seen_at": now} for i in range(citizens)])
        log: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        unanswered: list[dict[str, Any]] = []
        for _ in range(rows // 2):
            uid = rng.randint(1, citizens)
            at = start + dt.timedelta(seconds=rng.randint(0, 30 * 86400))
            kind = rng.choice(_KINDS)
            ident: str | None = None
            if kind == "faq":
                ident = rng.choice(faq_ids)
            elif kind == "flow":
                flow, steps = rng.choice(flows)
                step = steps[min(len(steps) - 1, int(rng.expovariate(0.7)))]
                ident = f"{flow}/{step}"
                name = "flow_started" if step == steps[0] else "flow_step"
                events.append({"user_id": uid, "name": name, "data": {"flow": flow, "step": step}, "source": "user",
                               "created_at": at})
            # Every dict has every key: an executemany takes its columns from the first one.
            log.append({"user_id": uid, "direction": "in", "text": "câu hỏi thử", "match_kind": None, "match_id": None,
                        "source": "user", "created_at": at})
            log.append({"user_id": uid, "direction": "out", "text": "trả lời", "match_kind": kind, "match_id": ident,
                        "source": "user", "created_at": at})
            events.append({"user_id": uid, "name": "turn", "data": {"kind": kind, "channel": _CHANNELS[(uid - 1) % 4]},
                           "source": "user", "created_at": at})
            if kind in ("fallback", "clarify"):
                unanswered.append({"user_id": uid, "question": f"câu chưa hiểu số {rng.randint(1, 300)}",
                                   "reason": kind, "status": "open", "source": "user", "created_at": at})
        for table, batch in (("message_log", log), ("events", events), ("unanswered", unanswered)):
            for chunk in _chunks(batch):
                c.execute(insert(t[table]), chunk)
            counts[table] = len(batch)
        handoffs = []
        for uid in rng.sample(range(1, citizens + 1), min(citizens, max(1, rows // 1000))):
            at = start + dt.timedelta(seconds=rng.randint(0, 30 * 86400))
            claimed = at + dt.timedelta(minutes=rng.randint(1, 240)) if rng.random() < 0.8 else None
            handoffs.append({"user_id": uid, "channel": _CHANNELS[(uid - 1) % 4], "reason": "asked",
                             "status": "claimed" if claimed else "open", "claimed_by": "bench" if claimed else None,
                             "claimed_at": claimed, "due_at": at + dt.timedelta(hours=1), "created_at": at})
        if handoffs:
            c.execute(insert(t["handoffs"]), handoffs)
        counts["handoffs"] = len(handoffs)
    return counts


async def _run(database_url: str, rows: int, repeat: int, seed_value: int) -> list[dict[str, Any]]:
    from api.app import create_app
    from api.settings import Settings

    settings = Settings(_env_file=None, database_url=database_url, log_level="WARNING")
    app = create_app(settings)
    out: list[dict[str, Any]] = []
    async with app.router.lifespan_context(app):
        store: Store = app.state.store
        content: ContentSnapshot = app.state.content.current(store)
        now = dt.datetime.now(dt.UTC)
        with store.unit(readonly=True) as unit:
            if unit.connection.execute(select(func.count()).select_from(metadata.tables["users"])).scalar_one():
                raise SystemExit("bench-dashboard seeds its own rows: give it an empty database")
        started = time.perf_counter()
        counts = seed(store, content, rows=rows, now=now, rng=random.Random(seed_value))
        if store.dialect == "postgresql":  # what autovacuum does after a bulk load, before we measure
            with store.unit() as unit:
                unit.connection.exec_driver_sql("ANALYZE")
        out.append({"measure": "seed", "seconds": round(time.perf_counter() - started, 2), **counts})
        with store.unit() as unit:
            create_account(unit, username="bench-admin", password=_PASSWORD, role=Role.ADMIN, now=now)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            r = await client.post("/api/v1/admin/token", data={"username": "bench-admin", "password": _PASSWORD})
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            day = (now + dt.timedelta(hours=7)).date()
            period = f"from={(day - dt.timedelta(days=29)).isoformat()}&to={day.isoformat()}"
            for name, url in (("api", f"/api/v1/admin/dashboard?{period}"),
                              ("api_channel", f"/api/v1/admin/dashboard?{period}&channel=telegram"),
                              ("page", f"/admin/dashboard?{period}"),
                              ("xlsx", f"/api/v1/admin/dashboard/export.xlsx?{period}")):
                times, cpu = [], []
                for i in range(repeat + 1):
                    t0, c0 = time.perf_counter(), time.process_time()
                    r = await client.get(url, headers=headers)
                    elapsed, used = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
                    if r.status_code != 200:
                        raise RuntimeError(f"{url} answered {r.status_code}: {r.text[:200]}")
                    if i:
                        times.append(elapsed)
                        cpu.append(used)
                # Wall time depends on what else the machine runs; this process's CPU time does not
                # (on SQLite it includes the queries; PostgreSQL's own work is not in it).
                out.append({"measure": name, "rows": counts["message_log"], "median_ms": round(statistics.median(times), 1),
                            "max_ms": round(max(times), 1), "cpu_median_ms": round(statistics.median(cpu), 1),
                            "bytes": len(r.content)})
    return out


def run(*, rows: int, repeat: int = 5, database_url: str | None = None, seed_value: int = 6) -> int:
    """Run the benchmark and print JSON lines; returns the exit status."""
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        results = asyncio.run(_run(url, rows, repeat, seed_value))
    for row in results:
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    summary: dict[str, Any] = {"rows": rows, "dialect": "postgresql" if url.startswith("postgresql") else "sqlite"}
    for r in results:
        if "median_ms" in r:
            summary[f"{r['measure']}_median_ms"] = r["median_ms"]
            summary[f"{r['measure']}_cpu_ms"] = r["cpu_median_ms"]
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0
