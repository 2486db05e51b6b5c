"""Each staff member sees and acts on their own unit's hand-offs only, over the REST contract and the
console page, on SQLite and PostgreSQL: commune staff their commune, province staff the province
queue, the escalations and every commune below, admins (and central editors) everything."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.console.security import Role, create_account
from api.handoff import repo, staff
from api.handoff.routes import Escalator
from api.store import Store
from api.team import repo as team_repo
from tests.console.conftest import PASSWORD, csrf_of
from tests.databases import postgres_schema_url
from tests.http.conftest import make_settings, open_client

NOW = dt.datetime.now(dt.UTC)
ACCOUNTS = {"boss": Role.ADMIN, "central": Role.EDITOR, "staff-a": Role.MEMBER, "staff-b": Role.EDITOR,
            "staff-p": Role.MEMBER, "loose": Role.MEMBER}


@dataclass
class World:
    app: Any
    client: httpx.AsyncClient
    ids: dict[str, int]
    units: dict[str, int]
    auth: dict[str, dict[str, str]]

    @property
    def store(self) -> Store:
        store: Store = self.app.state.store
        return store


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scope.sqlite3'}"
        return
    with postgres_schema_url(request.getfixturevalue("postgres_url"), prefix="hscope") as url:
        yield url


def _setup(store: Store) -> tuple[dict[str, int], dict[str, int]]:
    with store.unit() as unit:
        accounts = {name: create_account(unit, username=name, password=PASSWORD, role=role, now=NOW).id
                    for name, role in ACCOUNTS.items()}
        p = team_repo.create_unit(unit, level="province", name="Tỉnh Thử", parent_id=None, now=NOW)
        a = team_repo.create_unit(unit, level="commune", name="Xã An", parent_id=p.id, now=NOW)
        b = team_repo.create_unit(unit, level="commune", name="Phường Bình", parent_id=p.id, now=NOW)
        team = team_repo.create_unit(unit, level="team", name="Tổ An 1", parent_id=a.id, now=NOW)
        # staff-a: a team member of Xã An (member record); staff-b and staff-p: on duty for a unit.
        team_repo.create_member(unit, display_name="Chị A", unit_id=team.id, now=NOW, account_id=accounts["staff-a"])
        staff.set_staff(unit, username="staff-b", unit_id=b.id, now=NOW)
        staff.set_staff(unit, username="staff-p", unit_id=p.id, now=NOW)
        ids: dict[str, int] = {}
        for n, (name, unit_id) in enumerate({"a": a.id, "b": b.id, "queue": None, "escalated": p.id}.items()):
            user = unit.get_or_create_user(channel="web", external_id=f"scope-{name}", now=NOW)
            ids[name] = repo.open_handoff(unit, user_id=user, channel="web", chat_id=None, context=None,
                                          unit_id=unit_id, reason="asked", due_at=NOW + dt.timedelta(days=n + 1),
                                          now=NOW)
    assert accounts and ids
    return ids, {"p": p.id, "a": a.id, "b": b.id}


@pytest.fixture
async def world(db_url: str, tmp_path: Any) -> AsyncIterator[World]:
    from api.app import create_app

    app = create_app(make_settings(tmp_path, database_url=db_url, content_sync_on_start=False))
    async for client in open_client(app):
        ids, units = _setup(app.state.store)
        auth = {}
        for name in ACCOUNTS:
            r = await client.post("/api/v1/admin/token", data={"username": name, "password": PASSWORD})
            assert r.status_code == 200, r.text
            auth[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        yield World(app, client, ids, units, auth)


async def _seen(w: World, who: str, status: str = "all") -> set[int]:
    r = await w.client.get("/api/v1/admin/handoffs", params={"status": status}, headers=w.auth[who])
    assert r.status_code == 200, r.text
    return {h["id"] for h in r.json()["handoffs"]}


async def test_each_account_lists_only_its_units_handoffs(world: World) -> None:
    w, ids = world, world.ids
    everything = set(ids.values())
    assert await _seen(w, "boss") == everything
    assert await _seen(w, "central") == everything  # an editor not on duty anywhere: central staff
    assert await _seen(w, "staff-a") == {ids["a"]}  # a team member answers for the team's commune
    assert await _seen(w, "staff-b") == {ids["b"]}
    assert await _seen(w, "staff-p") == everything  # province: queue, escalations and communes below
    r = await w.client.get("/api/v1/admin/handoffs?status=open", headers=w.auth["loose"])
    assert r.status_code == 403 and "not tied to a unit" in r.text
    # Filtering by another unit gives nothing, never that unit's hand-offs.
    r = await w.client.get("/api/v1/admin/handoffs", params={"status": "all", "unit_id": w.units["b"]},
                           headers=w.auth["staff-a"])
    assert r.status_code == 200 and r.json()["handoffs"] == []


async def test_another_units_handoff_is_not_found_for_every_operation(world: World) -> None:
    w, ids = world, world.ids
    for other in ("b", "queue", "escalated"):
        hid = ids[other]
        assert (await w.client.get(f"/api/v1/admin/handoffs/{hid}", headers=w.auth["staff-a"])).status_code == 404
        for op in ("claim", "close"):
            r = await w.client.post(f"/api/v1/admin/handoffs/{hid}/{op}", headers=w.auth["staff-a"])
            assert r.status_code == 404, (other, op, r.text)
        r = await w.client.post(f"/api/v1/admin/handoffs/{hid}/messages", json={"text": "xin chào"},
                                headers=w.auth["staff-a"])
        assert r.status_code == 404
    with w.store.unit(readonly=True) as unit:  # nothing changed
        assert all(repo.get(unit, hid).status == "open" for hid in ids.values())  # type: ignore[union-attr]
    # Their own: claim, reply, close work.
    hid = ids["a"]
    assert (await w.client.post(f"/api/v1/admin/handoffs/{hid}/claim", headers=w.auth["staff-a"])).status_code == 200
    r = await w.client.post(f"/api/v1/admin/handoffs/{hid}/messages", json={"text": "Chào bạn"},
                            headers=w.auth["staff-a"])
    assert r.status_code == 201
    assert (await w.client.post(f"/api/v1/admin/handoffs/{hid}/close", headers=w.auth["staff-a"])).status_code == 200
    # The province takes its queue; a commune cannot.
    q = ids["queue"]
    assert (await w.client.post(f"/api/v1/admin/handoffs/{q}/claim", headers=w.auth["staff-b"])).status_code == 404
    assert (await w.client.post(f"/api/v1/admin/handoffs/{q}/claim", headers=w.auth["staff-p"])).status_code == 200


async def test_an_escalated_handoff_leaves_the_commune_for_the_province(world: World) -> None:
    w = world
    with w.store.unit() as unit:
        user = unit.get_or_create_user(channel="web", external_id="scope-late", now=NOW)
        late = repo.open_handoff(unit, user_id=user, channel="web", chat_id=None, context=None,
                                 unit_id=w.units["b"], reason="asked", due_at=NOW - dt.timedelta(minutes=1), now=NOW)
    assert late in await _seen(w, "staff-b", "open")
    assert Escalator(w.store).run_once() == 1
    assert late not in await _seen(w, "staff-b")
    assert late in await _seen(w, "staff-p", "escalated")
    r = await w.client.post(f"/api/v1/admin/handoffs/{late}/claim", headers=w.auth["staff-b"])
    assert r.status_code == 404


async def test_the_console_inbox_shows_only_the_units_conversations(world: World) -> None:
    w, ids = world, world.ids
    transport = httpx.ASGITransport(app=w.app, client=("203.0.113.9", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        page = await browser.get("/admin/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
        assert token is not None
        await browser.post("/admin/login", data={"username": "staff-a", "password": PASSWORD,
                                                 "login_csrf": token.group(1), "next": "/admin/"})
        page = await browser.get("/admin/handoffs", params={"status": "all"})
        assert page.status_code == 200 and "Xã An" in page.text
        listed = {int(x) for x in re.findall(r'href="/admin/handoffs\?id=(\d+)"', page.text)}
        assert listed == {ids["a"]}
        page = await browser.get("/admin/handoffs", params={"id": ids["b"]})
        assert page.status_code == 404 and "Phường Bình" not in page.text
        r = await browser.post(f"/admin/handoffs/{ids['b']}/claim", data={"csrf_token": csrf_of(page.text)})
        assert r.status_code == 404
    with w.store.unit(readonly=True) as unit:
        assert repo.get(unit, ids["b"]).status == "open"  # type: ignore[union-attr]
