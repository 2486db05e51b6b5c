"""``python -m bot bench``: speed and memory figures (never part of the test suite).

Prints JSON lines:
- ``matcher`` on the real content, and with N synthetic look-alike entries added:
  median/p95 latency, index build time, memory of the index;
- ``answer_path``: the whole turn per message (match + state + masked log + events on SQLite);
- ``ask_startup``: wall time of ``python -m bot ask "…"`` in a fresh process (cold and warm DB);
- ``serve_memory``: resident memory of a serving instance with the real content after traffic.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from api.settings import PROJECT_ROOT
from bot.bench_matcher import percentile

__all__ = ["run_bench"]

_QUERY_FILES = ("tests/data/dev_queries.yaml", "tests/data/extra_queries.yaml", "tests/data/flow_queries.yaml")


def _queries() -> list[str]:
    from bot.evaluation import load_cases

    out: list[str] = []
    for name in _QUERY_FILES:
        path = PROJECT_ROOT / name
        if path.exists():
            out += [c.q for c in load_cases(path)]
    return out or ["quen mat khau vneid", "dang ky muc 2 o dau", "lam ho chieu online"]


def _bench_matcher(synthetic: int, n_queries: int) -> Iterator[dict[str, Any]]:
    from bot.bench_matcher import bench_matcher, content_docs, synthetic_docs

    docs, _ = content_docs(PROJECT_ROOT)
    base = _queries()
    queries = (base * (n_queries // max(1, len(base)) + 1))[:n_queries]
    repeats = 3
    yield {"bench": "matcher", "content": "real", **bench_matcher(docs, queries, repeats=repeats)}
    yield {
        "bench": "matcher",
        "content": f"real+{synthetic}",
        **bench_matcher([*docs, *synthetic_docs(synthetic)], queries, repeats=repeats),
    }


def _bench_answer_path(turns: int) -> dict[str, Any]:
    from api.bootstrap import build_services
    from api.conversation import prepare_inbound
    from api.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp}/bench.sqlite3")
        services = build_services(settings)
        base = _queries()
        times: list[float] = []
        users = [f"bench-{i}" for i in range(50)]
        for i in range(turns):
            inbound = prepare_inbound(text=base[i % len(base)], source="user")
            t0 = time.perf_counter()
            services.conversation.run_turn(channel="web", external_id=users[i % len(users)], inbound=inbound)
            times.append((time.perf_counter() - t0) * 1000)
        services.close()
    return {
        "bench": "answer_path",
        "db": "sqlite",
        "turns": turns,
        "median_ms": round(statistics.median(times), 3),
        "p95_ms": round(percentile(times, 0.95), 3),
        "max_ms": round(max(times), 3),
    }


def _bench_ask_startup() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/ask.sqlite3"}
        runs: list[float] = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "bot", "ask", "quen mat khau vneid"],
                cwd=PROJECT_ROOT, env=env, check=True, capture_output=True,
            )
            runs.append(time.perf_counter() - t0)
    return {"bench": "ask_startup", "cold_db_s": round(runs[0], 3), "warm_db_s": round(min(runs[1:]), 3)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _bench_serve_memory(requests: int) -> dict[str, Any]:
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/serve.sqlite3",
            "CHAT_RATE_PER_MINUTE": "1000000",
            "CHAT_IP_RATE_PER_MINUTE": "1000000",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(port)],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("server did not start") from None
                    time.sleep(0.2)
            qs = _queries()
            for i in range(requests):
                body = json.dumps({"user_id": f"mem-{i % 40}-{uuid.uuid4().hex[:4]}", "text": qs[i % len(qs)]})
                req = urllib.request.Request(base + "/api/v1/chat", data=body.encode(),
                                             headers={"content-type": "application/json"})
                urllib.request.urlopen(req, timeout=5).read()
            status = Path(f"/proc/{proc.pid}/status").read_text()
            rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return {"bench": "serve_memory", "requests": requests, "rss_mb": round(rss / 1024, 1),
            "peak_rss_mb": round(hwm / 1024, 1)}


def run_bench(*, entries: int = 2000, queries: int = 2000, turns: int = 500) -> Iterator[dict[str, Any]]:
    """Run every benchmark, yielding one JSON-ready dict per figure set."""
    yield from _bench_matcher(entries, queries)
    yield _bench_answer_path(turns)
    yield _bench_ask_startup()
    yield _bench_serve_memory(300)
