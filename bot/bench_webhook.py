"""Benchmark of ``POST /webhooks/telegram``: updates per second and latency to the 200.

    .venv/bin/python -m bot.bench_webhook --updates 5000 --workers 1 --db sqlite

Starts a minimal fake Bot API (uvicorn in a thread, 127.0.0.1), the real app under uvicorn in a
separate process (``--workers`` uvicorn workers, settings through the environment) on a fresh
SQLite file or a fresh PostgreSQL schema (``TEST_DATABASE_URL``), then a client process on
loopback posts realistic updates (distinct chats, Vietnamese questions) with a bounded number of
requests in flight. Each 200 comes after the update's transaction (dedup row, turn, masked log,
outbox row) committed. Prints JSON lines: one per run with updates/s, p50/p90/p99 latency and the
CPU the server processes used per update.

The client is deliberately light (``--client-kind raw``: keep-alive HTTP/1.1 written on asyncio
streams, about a tenth of httpx's CPU per request) so that on a small machine the load generator
does not take the server's CPU; ``--client-kind httpx`` is the previous client. Nothing here is a
test; it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from bot.bench_matcher import percentile
from bot.loadrig import SECRET, AppProcess, database, fake_bot_api, update_body
from bot.loadrig import app_factory as bench_app

__all__ = ["bench_app", "main"]

QUESTIONS = (
    "quên mật khẩu VNeID thì làm sao",
    "làm định danh mức 2 ở đâu",
    "cách cài ứng dụng VNeID trên điện thoại",
    "kích hoạt tài khoản định danh điện tử",
    "không nhận được mã OTP",
    "đăng ký mức 1 trên VNeID như thế nào",
    "tích hợp giấy phép lái xe vào VNeID",
    "làm căn cước cho trẻ em dưới 14 tuổi",
    "khai sinh trực tuyến ở đâu",
    "đổi số điện thoại trong VNeID",
    "ứng dụng báo lỗi không đăng nhập được",
    "có người gọi điện xưng công an đòi mã OTP",
    "lệ phí cấp căn cước bao nhiêu",
    "đăng ký thường trú online",
    "menu",
    "xin chào",
    "/start",
    "tài khoản bị khóa phải làm sao",
    "quen mat khau vneid",
    "lam muc 2 o dau",
)


# --- the client (a separate process) -------------------------------------------------------------


def _bodies(updates: int, first_id: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [update_body(first_id + i, 100_000_000 + first_id + i, rng.choice(QUESTIONS)) for i in range(updates)]


def _summary(latencies: list[float], statuses: dict[str, int], updates: int, concurrency: int,
             elapsed: float) -> dict[str, Any]:
    latencies.sort()

    def pct(p: float) -> float:
        return round(percentile(latencies, p) * 1000, 2)

    return {
        "updates": updates,
        "concurrency": concurrency,
        "elapsed_s": round(elapsed, 3),
        "updates_per_s": round(updates / elapsed, 1),
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": round(latencies[-1] * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
        "statuses": statuses,
    }


async def _client(base: str, updates: int, concurrency: int, first_id: int, seed: int) -> dict[str, Any]:
    """The httpx client (heavier: on two cores it takes most of one)."""
    import httpx

    bodies = _bodies(updates, first_id, seed)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        async def worker() -> None:
            while True:
                try:
                    body = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                try:
                    r = await client.post("/webhooks/telegram", content=body, headers=headers)
                    key = str(r.status_code) if r.status_code != 200 else r.json().get("status", "200")
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                latencies.append(time.perf_counter() - t0)
                statuses[key] = statuses.get(key, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return _summary(latencies, statuses, updates, concurrency, elapsed)


async def _raw_client(base: str, updates: int, concurrency: int, first_id: int, seed: int) -> dict[str, Any]:
    """Keep-alive HTTP/1.1 on asyncio streams: ``concurrency`` connections, one request in flight each."""
    from urllib.parse import urlsplit

    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    head = (
        "POST /webhooks/telegram HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Content-Type: application/json\r\n"
        f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
        "Content-Length: {}\r\n\r\n"
    )
    requests = [head.format(len(body)).encode() + body for body in _bodies(updates, first_id, seed)]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while next_index < len(requests):
                request = requests[next_index]
                next_index += 1
                t0 = time.perf_counter()
                try:
                    writer.write(request)
                    header = await reader.readuntil(b"\r\n\r\n")
                    code = int(header[9:12])
                    length = 0
                    for line in header.split(b"\r\n"):
                        if line[:15].lower() == b"content-length:":
                            length = int(line[15:])
                    body = await reader.readexactly(length)
                    key = str(code) if code != 200 else str(json.loads(body).get("status", "200"))
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    key = type(exc).__name__
                    latencies.append(time.perf_counter() - t0)
                    statuses[key] = statuses.get(key, 0) + 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                latencies.append(time.perf_counter() - t0)
                statuses[key] = statuses.get(key, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return _summary(latencies, statuses, updates, concurrency, elapsed)


def _cpu_s(root_pid: int) -> float:
    """User + system CPU seconds of ``root_pid`` and its children (Linux ``/proc``; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0.0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        pid, ppid = int(entry), int(fields[1])
        if pid == root_pid or ppid == root_pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _run_client(base: str, updates: int, concurrency: int, first_id: int, kind: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bot.bench_webhook", "--client", base, "--updates", str(updates),
           "--concurrency", str(concurrency), "--first-id", str(first_id), "--client-kind", kind]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--client``, be its client process)."""
    p = argparse.ArgumentParser(prog="python -m bot.bench_webhook", description=__doc__.split("\n")[0])
    p.add_argument("--updates", type=int, default=5000)
    p.add_argument("--workers", type=int, default=1, choices=[1, 2, 3, 4])
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--concurrency", default="8,16",
                   help="requests in flight; a comma-separated list runs one measurement per level "
                        "on the same server (default 8,16)")
    p.add_argument("--warmup", type=int, default=300, help="updates sent first, not measured")
    p.add_argument("--client-kind", choices=["raw", "httpx"], default="raw",
                   help="load generator: raw asyncio HTTP/1.1 (light, default) or httpx")
    p.add_argument("--client", help=argparse.SUPPRESS)
    p.add_argument("--first-id", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    try:
        levels = [int(level) for level in str(args.concurrency).split(",")]
    except ValueError:
        p.error("--concurrency takes whole numbers separated by commas")
    if not levels or min(levels) < 1:
        p.error("--concurrency must be at least 1")
    if args.client:
        client = _raw_client if args.client_kind == "raw" else _client
        _emit(_run_loop(client(args.client, args.updates, levels[0], args.first_id, args.first_id)))
        return 0
    with (
        fake_bot_api() as (api_url, api),
        database(args.db) as db_url,
        AppProcess(db_url, api_url, workers=args.workers) as server,
    ):
        base, server_pid = server.base, server.pid
        if args.warmup:
            _run_client(base, args.warmup, levels[0], 1, args.client_kind)
        for index, level in enumerate(levels):
            sent_before = api.sent
            cpu_before = _cpu_s(server_pid)
            # Fresh update ids and chats for every level (a repeated id would be a duplicate).
            result = _run_client(base, args.updates, level, 1_000_000 * (index + 1), args.client_kind)
            server_cpu = _cpu_s(server_pid) - cpu_before
            result.update({
                "bench": "telegram_webhook",
                "db": args.db,
                "workers": args.workers,
                "client": args.client_kind,
                "server_cpu_ms_per_update": round(server_cpu / args.updates * 1000, 3),
                "messages_sent_during_run": api.sent - sent_before,
            })
            _emit(result)
    return 0


def _run_loop(coro: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


if __name__ == "__main__":
    raise SystemExit(main())
