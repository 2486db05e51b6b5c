"""Fixtures for the dashboard tests: the app on each backend with an account per role, and a seeded world.

The world is seeded once per module and backend, through the real chat API (the web channel), the
real turn sequence for the other channels (``Conversation.run_turn``), the hand-off API, and a few
rows written directly (old timestamps around a Vietnam day boundary, a hand-off with a known wait).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from api.app import create_app
from api.conversation import prepare_inbound
from api.store import LogLine, Store
from api.store.models import metadata
from bot.core import payloads
from tests.console.conftest import PASSWORD, ROLES, add_accounts
from tests.databases import postgres_schema_url
from tests.http.conftest import make_settings, open_client
from tests.team.factories import add_member, make_tree

#: The instant of the day-boundary rows: 16:59:59 UTC is 23:59:59 on 30/11 in Vietnam, 17:00 is 01/12.
BEFORE_MIDNIGHT = dt.datetime(2026, 11, 30, 16, 59, 59, tzinfo=dt.UTC)
AFTER_MIDNIGHT = dt.datetime(2026, 11, 30, 17, 0, 0, tzinfo=dt.UTC)
FORMULA_QUESTION = "=HYPERLINK(\"x\") xyzzy plugh"


@dataclass
class World:
    """The app, a client, bearer headers per role, and what the seeding made."""

    app: FastAPI
    client: httpx.AsyncClient
    dialect: str
    auth: dict[str, dict[str, str]] = field(default_factory=dict)
    commune: int = 0
    other_commune: int = 0
    team: int = 0

    @property
    def store(self) -> Store:
        store: Store = self.app.state.store
        return store

    def rows(self, table: str) -> list[Any]:
        """Every row of a table, as recorded."""
        with self.store.unit(readonly=True) as unit:
            return list(unit.connection.execute(metadata.tables[table].select()).all())

    async def dashboard(self, **params: Any) -> dict[str, dict[str, Any]]:
        """``GET /api/v1/admin/dashboard`` as the admin: sections by key."""
        r = await self.client.get("/api/v1/admin/dashboard", params=params, headers=self.auth["admin"])
        assert r.status_code == 200, r.text
        return {s["key"]: s for s in r.json()["sections"]}


async def _chat(client: httpx.AsyncClient, user: str, **body: str) -> dict[str, Any]:
    r = await client.post("/api/v1/chat", json={"user_id": user, **body})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _turn(app: FastAPI, channel: str, user: str, text: str | None = None, payload: str | None = None,
          source: str = "user") -> None:
    inbound = prepare_inbound(text=text, payload=payload, source=source)  # type: ignore[arg-type]
    assert app.state.conversation.run_turn(channel=channel, external_id=user, inbound=inbound) is not None


async def seed(w: World) -> None:
    """The same traffic on each backend (see the module docstring)."""
    tree = make_tree(w.store)
    lan = add_member(w.store, tree.team)
    other = make_tree(w.store, name="Tổ công nghệ số thôn Đông")
    binh = add_member(w.store, other.team, "Trần Văn Bình")
    w.commune, w.other_commune, w.team = tree.commune, other.commune, tree.team
    c = w.client
    # Web citizens through the chat API.
    await _chat(c, "dash-w1", payload=f"f-install-done-r{lan.referral_code}")  # attributed to the first commune
    await _chat(c, "dash-w1", text="Đã làm xong")
    await _chat(c, "dash-w2", text="cài ứng dụng vneid")
    await _chat(c, "dash-w2", text="1")
    await _chat(c, "dash-w3", text="thời tiết hôm nay thế nào")
    await _chat(c, "dash-w3", text="xyzzy qwerty plugh")
    await _chat(c, "dash-w3", text=FORMULA_QUESTION)
    await _chat(c, "dash-w4", text="lệ phí cấp căn cước bao nhiêu")
    await _chat(c, "dash-w4", payload="c-handoff")
    await _chat(c, "dash-w5", payload="c-handoff")
    # A staff member claims and answers the first hand-off; the second keeps waiting.
    r = await c.get("/api/v1/admin/handoffs?status=open", headers=w.auth["admin"])
    first = min(h["id"] for h in r.json()["handoffs"])
    assert (await c.post(f"/api/v1/admin/handoffs/{first}/claim", headers=w.auth["editor"])).status_code == 200
    r = await c.post(f"/api/v1/admin/handoffs/{first}/messages", json={"text": "Bạn thử lại nhé"},
                     headers=w.auth["editor"])
    assert r.status_code == 201, r.text
    # Other channels through the real turn sequence.
    app = w.app
    _turn(app, "telegram", "7001", payload=f"f-install-r{binh.referral_code}")  # attributed to the other commune
    _turn(app, "telegram", "7001", text="1")
    _turn(app, "telegram", "7002", text="xin chào")
    _turn(app, "telegram", "7002", text="lệ phí cấp căn cước bao nhiêu")
    _turn(app, "zalo_oa", "8001", text="hướng dẫn kích hoạt tài khoản định danh")
    _turn(app, "zalo_oa", "8001", payload=payloads.make("dn", "activate"))  # «Chưa xong»
    # Evaluation and one-off CLI questions are never counted.
    _turn(app, "cli", "cli-1", text="lệ phí cấp căn cước bao nhiêu", source="cli")
    _turn(app, "web", "eval-1", text="xyzzy qwerty plugh", source="eval")
    _turn(app, "web", "eval-1", text="cài ứng dụng vneid", source="eval")
    # Rows written directly: a Zalo Bot citizen on both sides of a Vietnam midnight, with guide events,
    # and a hand-off claimed after 12 minutes.
    t = metadata.tables
    with w.store.unit() as unit:
        uid = unit.get_or_create_user(channel="zalo_bot", external_id="9001", now=BEFORE_MIDNIGHT)
        for at, kind, ident in ((BEFORE_MIDNIGHT, "faq", "fee_residence"), (AFTER_MIDNIGHT, "service", "svc-x")):
            unit.log_messages(user_id=uid, lines=(LogLine("in", "hỏi"), LogLine("out", "đáp", match_kind=kind,
                                                                                 match_id=ident)),
                              source="user", now=at)
        unit.add_events(user_id=uid, events=[("flow_started", {"flow": "install", "step": "start"}),
                                             ("flow_step", {"flow": "install", "step": "zz_removed"})],
                        source="user", now=AFTER_MIDNIGHT)
        unit.connection.execute(insert(t["handoffs"]).values(
            user_id=uid, channel="zalo_bot", reason="asked", status="closed", claimed_by="test-editor",
            claimed_at=AFTER_MIDNIGHT + dt.timedelta(minutes=12), closed_at=AFTER_MIDNIGHT + dt.timedelta(hours=1),
            due_at=AFTER_MIDNIGHT + dt.timedelta(hours=1), created_at=AFTER_MIDNIGHT))


async def _open(app: FastAPI, dialect: str) -> AsyncIterator[World]:
    async for client in open_client(app):
        add_accounts(app.state.store)
        w = World(app, client, dialect)
        for role in ROLES:
            r = await client.post("/api/v1/admin/token", data={"username": f"test-{role}", "password": PASSWORD})
            assert r.status_code == 200, r.text
            w.auth[role] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        await seed(w)
        yield w


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """The seeded app, once per module and backend."""
    tmp = tmp_path_factory.mktemp("dashboard")
    limits = {"chat_rate_per_minute": 1000, "chat_ip_rate_per_minute": 1000}
    if request.param == "sqlite":
        async for w in _open(create_app(make_settings(tmp, **limits)), "sqlite"):
            yield w
    else:
        with postgres_schema_url(request.getfixturevalue("postgres_url"), prefix="dash") as url:
            async for w in _open(create_app(make_settings(tmp, database_url=url, **limits)), "postgresql"):
                yield w
