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
import tempfile
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.bench_matcher import percentile

__all__ = ["bench_app", "main"]

TOKEN = "7000000001:BenchTokenBenchTokenBenchToken_xyz"
SECRET = "bench-secret_0123456789"
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


def bench_app() -> Any:
    """The app factory uvicorn runs (``--factory``): the real app, settings from the environment."""
    from api.app import create_app

    return create_app()


# --- the fake Bot API -----------------------------------------------------------------------------


class _FakeApi:
    """Answers the methods the bot calls; counts the messages it is sent."""

    def __init__(self) -> None:
        self.sent = 0
        self._ids = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while True:  # drain the request body
            message = await receive()
            if not message.get("more_body"):
                break
        method = scope["path"].rsplit("/", 1)[-1]
        result: Any = True
        if method == "getMe":
            result = {"id": 7000000001, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
        elif method in ("sendMessage", "sendPhoto", "editMessageText"):
            with self._lock:
                self.sent += 1
                self._ids += 1
                mid = self._ids
            result = {"message_id": mid, "date": int(time.time()), "chat": {"id": 1, "type": "private"}}
        body = json.dumps({"ok": True, "result": result}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


@contextmanager
def _fake_api() -> Iterator[tuple[str, _FakeApi]]:
    import uvicorn

    api = _FakeApi()
    config = uvicorn.Config(api, host="127.0.0.1", port=0, log_level="warning", lifespan="off", ws="none",
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/bot", api
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- the database --------------------------------------------------------------------------------


@contextmanager
def _database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="troly06-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return
    from sqlalchemy.engine import make_url

    from api.db import make_engine
    from api.settings import Settings

    base = Settings(_env_file=None).test_database_url
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base, pool_size=1)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


# --- the app under uvicorn -----------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def _server(database_url: str, api_url: str, workers: int) -> Iterator[tuple[str, int]]:
    port = _free_port()
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": api_url,
        "TELEGRAM_MODE": "webhook",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    })
    cmd = [sys.executable, "-m", "uvicorn", "bot.bench_webhook:bench_app", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, env=env, cwd=Path(__file__).resolve().parent.parent)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, workers, proc)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_healthy(base: str, workers: int, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 120
    ok_in_a_row = 0
    while ok_in_a_row < 4 * workers:
        if proc.poll() is not None:
            raise SystemExit(f"the app exited with status {proc.returncode}")
        if time.monotonic() > deadline:
            raise SystemExit("the app did not become healthy in 120 s")
        try:
            r = httpx.get(base + "/healthz", timeout=2)
            ok = r.status_code == 200 and r.json()["channels"].get("telegram") == "ok"
        except httpx.HTTPError:
            ok = False
        ok_in_a_row = ok_in_a_row + 1 if ok else 0
        time.sleep(0.05 if ok else 0.2)


# --- the client (a separate process) -------------------------------------------------------------


def _update(update_id: int, chat_id: int, text: str) -> bytes:
    return json.dumps({
        "update_id": update_id,
        "message": {
            "message_id": update_id % 100000 + 1,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Dân", "language_code": "vi"},
            "chat": {"id": chat_id, "type": "private", "first_name": "Dân"},
            "date": int(time.time()),
            "text": text,
        },
    }, ensure_ascii=False).encode()


def _bodies(updates: int, first_id: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [_update(first_id + i, 100_000_000 + first_id + i, rng.choice(QUESTIONS)) for i in range(updates)]


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
        _fake_api() as (api_url, api),
        _database(args.db) as db_url,
        _server(db_url, api_url, args.workers) as (base, server_pid),
    ):
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
