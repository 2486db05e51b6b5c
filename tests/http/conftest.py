"""Fixtures for HTTP tests: the real app with its lifespan, on a fresh SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.settings import Settings


def make_settings(db_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test app on its own SQLite file, ignoring the environment's channel tokens."""
    base: dict[str, Any] = {"database_url": f"sqlite:///{db_dir / 'app.sqlite3'}", "log_level": "WARNING"}
    base.update(overrides)
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


async def open_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the ASGI app with the lifespan entered (ASGITransport skips it)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture(scope="module")
async def app_and_client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """One app per test module on real content (module scope: content sync + index once)."""
    app = create_app(make_settings(tmp_path_factory.mktemp("http")))
    async for client in open_client(app):
        yield app, client


@pytest.fixture
def client(app_and_client: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    """The module's client."""
    return app_and_client[1]
