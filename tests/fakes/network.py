"""Test networking: ASGI apps served over real HTTP on loopback, and a guard against the internet.

- :func:`serve_app` runs an ASGI app under uvicorn in a daemon thread on 127.0.0.1 and a free port
  (the shape of httpx's own test server) and yields its base URL.
- :func:`loopback_guard` refuses, for the duration of a block, every connection and name lookup
  that would leave the machine, and yields the list of refused addresses. The root conftest applies
  it to every test.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import pytest
import uvicorn

__all__ = ["is_loopback", "loopback_guard", "serve_app"]

_LOOPBACK_NAMES = frozenset({"localhost", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"})


@contextmanager
def serve_app(app: Any, name: str = "fake", *, lifespan: Literal["on", "off", "auto"] = "off") -> Iterator[str]:
    """Serve ``app`` under uvicorn on 127.0.0.1 and a free port; yields ``http://127.0.0.1:<port>``."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", ws="none", lifespan=lifespan,
        access_log=False, timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{name}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the {name} server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def is_loopback(host: object) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost (and for non-IP addresses such as Unix sockets)."""
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return True
    return host.startswith("127.") or host in _LOOPBACK_NAMES


@contextmanager
def loopback_guard() -> Iterator[list[Any]]:
    """Refuse connections and lookups beyond loopback inside the block; yields what was refused."""
    refused: list[Any] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else address
            if not is_loopback(host):
                refused.append(host)
                raise ConnectionRefusedError(f"test guard: only loopback may be reached, not {host!r}")

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not is_loopback(host):
            refused.append(host)
            raise socket.gaierror(f"test guard: only loopback may be resolved, not {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", connect)
        mp.setattr(socket.socket, "connect_ex", connect_ex)
        mp.setattr(socket, "getaddrinfo", getaddrinfo)
        yield refused
