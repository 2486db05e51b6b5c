"""Managing members from the console and the REST API: add, rename, move, remove, link chat accounts.

The page and the API call the same audited operations; a refused form shows its message next to the
field (422) and saves nothing; a chat account linked by hand answers the team commands as if it had
joined with ``/thamgia``, and belongs to at most one member.
"""

from __future__ import annotations

import re

import httpx

from tests.console.conftest import Console, csrf_of


async def _tree(console: Console) -> dict[str, int]:
    ids: dict[str, int] = {}
    for key, level, name, parent in (("p", "province", "Tỉnh Quảng Trị", None), ("c", "commune", "Phường Đồng Hới", "p"),
                                     ("t", "team", "Tổ công nghệ số khu phố 1", "c"),
                                     ("t2", "team", "Tổ công nghệ số khu phố 2", "c")):
        r = await console.client.post("/api/v1/admin/units", headers=console.auth("admin"),
                                      json={"level": level, "name": name, "parent_id": ids.get(parent or "")})
        assert r.status_code == 201, r.text
        ids[key] = r.json()["id"]
    return ids


def _account_id(console: Console, role: str) -> int:
    with console.store.unit() as unit:
        found: int = unit.connection.exec_driver_sql(
            "SELECT id FROM admin_accounts WHERE username = ?", (f"test-{role}",)).scalar_one()
    return found


def _count(console: Console, sql: str, *args: object) -> int:
    with console.store.unit() as unit:
        found: int = unit.connection.exec_driver_sql(sql, tuple(args)).scalar_one()
    return found


def _field_error(html: str, form_id: str, field: str) -> str:
    found = re.search(rf'id="{re.escape(form_id)}-{field}-error">([^<]+)<', html)
    assert found is not None, f"no error for {form_id}/{field}"
    return found.group(1)


async def _say(console: Console, user: str, text: str) -> str:
    r = await console.client.post("/api/v1/chat", json={"user_id": user, "text": text})
    assert r.status_code == 200, r.text
    return "\n\n".join(x["text"] for x in r.json()["replies"])


async def test_the_rest_api_links_chat_accounts_and_checks_the_console_account(console: Console) -> None:
    c, admin = console.client, console.auth("admin")
    ids = await _tree(console)
    # The console account must be an enabled account of role member, and back one record at most.
    editor = await c.post("/api/v1/admin/members", headers=admin,
                          json={"display_name": "Biên tập", "unit_id": ids["t"], "account_id": _account_id(console, "editor")})
    assert editor.status_code == 422
    nobody = await c.post("/api/v1/admin/members", headers=admin,
                          json={"display_name": "Không ai", "unit_id": ids["t"], "account_id": 999_999})
    assert nobody.status_code == 422
    huge = await c.post("/api/v1/admin/members", headers=admin, json={"display_name": "X", "unit_id": 2**40})
    assert huge.status_code == 422
    blank = await c.post("/api/v1/admin/members", headers=admin, json={"display_name": "   ", "unit_id": ids["t"]})
    assert blank.status_code == 422
    a = (await c.post("/api/v1/admin/members", headers=admin, json={"display_name": "Lê Văn An", "unit_id": ids["t"]})).json()
    b = (await c.post("/api/v1/admin/members", headers=admin, json={"display_name": "Hồ Thị Bé", "unit_id": ids["t2"]})).json()
    assert (await c.patch(f"/api/v1/admin/members/{a['id']}", headers=admin, json={"display_name": "  "})).status_code == 422
    # Link a chat account; linking it to someone else is refused; linking it again changes nothing.
    linked = await c.post(f"/api/v1/admin/members/{a['id']}/chats", headers=admin,
                          json={"channel": "web", "external_id": "rest-an"})
    assert linked.status_code == 201 and linked.json() == [{"channel": "web", "external_id": "rest-an"}]
    again = await c.post(f"/api/v1/admin/members/{a['id']}/chats", headers=admin,
                         json={"channel": "web", "external_id": "rest-an"})
    assert again.status_code == 201
    stolen = await c.post(f"/api/v1/admin/members/{b['id']}/chats", headers=admin,
                          json={"channel": "web", "external_id": "rest-an"})
    assert stolen.status_code == 422
    assert (await c.post(f"/api/v1/admin/members/{a['id']}/chats", headers=admin,
                         json={"channel": "fax", "external_id": "1"})).status_code == 422
    assert (await c.post("/api/v1/admin/members/424242/chats", headers=admin,
                         json={"channel": "web", "external_id": "x"})).status_code == 404
    assert (await c.post(f"/api/v1/admin/members/{a['id']}/chats", headers=console.auth("member"),
                         json={"channel": "web", "external_id": "x"})).status_code == 403
    # The linked chat account answers as a member.
    assert "Lê Văn An" in await _say(console, "rest-an", "thong ke")
    gone = await c.delete(f"/api/v1/admin/members/{a['id']}/chats/web/rest-an", headers=admin)
    assert gone.status_code == 204
    assert (await c.delete(f"/api/v1/admin/members/{a['id']}/chats/web/rest-an", headers=admin)).status_code == 404
    assert (await c.get(f"/api/v1/admin/members/{a['id']}/chats", headers=admin)).json() == []
    # Removing a member unlinks their chats and releases their console account for a new record.
    account = _account_id(console, "member")
    m = (await c.post("/api/v1/admin/members", headers=admin,
                      json={"display_name": "Có tài khoản", "unit_id": ids["t"], "account_id": account})).json()
    await c.post(f"/api/v1/admin/members/{m['id']}/chats", headers=admin, json={"channel": "telegram", "external_id": "77"})
    removed = await c.patch(f"/api/v1/admin/members/{m['id']}", headers=admin, json={"active": False})
    assert removed.status_code == 200 and removed.json()["account_id"] is None
    assert _count(console, "SELECT count(*) FROM member_chats WHERE member_id = ?", m["id"]) == 0
    again_m = await c.post("/api/v1/admin/members", headers=admin,
                           json={"display_name": "Có tài khoản", "unit_id": ids["t2"], "account_id": account})
    assert again_m.status_code == 201


async def test_the_members_page(console: Console, browser: httpx.AsyncClient) -> None:
    ids = await _tree(console)
    await console.login(browser, "admin")
    page = await browser.get("/admin/team/members")
    assert page.status_code == 200 and "Tổ công nghệ số khu phố 1" in page.text
    main = page.text.split("<main", 1)[1]
    assert "<script" not in main and "<style" not in main and " style=" not in main and " on" + "click=" not in main
    token = csrf_of(page.text)
    audits = "SELECT count(*) FROM audit_log WHERE action LIKE 'team.%'"
    members = "SELECT count(*) FROM members"
    before_audit, before_members = _count(console, audits), _count(console, members)

    # Bad input: the message next to the field, what was typed kept, nothing saved.
    bad = await browser.post("/admin/team/members", data={"csrf_token": token, "display_name": " ", "unit_id": str(ids["t"])})
    assert bad.status_code == 422 and _field_error(bad.text, "create", "display_name")
    commune = await browser.post("/admin/team/members", data={"csrf_token": token, "display_name": "Trần Văn Cường",
                                                              "unit_id": str(ids["c"])})
    assert commune.status_code == 422 and "Chọn một tổ" in _field_error(commune.text, "create", "unit_id")
    assert 'value="Trần Văn Cường"' in commune.text
    viewer = await browser.post("/admin/team/members", data={
        "csrf_token": token, "display_name": "Trần Văn Cường", "unit_id": str(ids["t"]),
        "account_id": str(_account_id(console, "viewer"))})
    assert viewer.status_code == 422 and _field_error(viewer.text, "create", "account_id")
    assert (_count(console, audits), _count(console, members)) == (before_audit, before_members)
    # No CSRF token, or not an admin: refused.
    assert (await browser.post("/admin/team/members", data={"display_name": "X", "unit_id": str(ids["t"])})).status_code == 403

    added = await browser.post("/admin/team/members", data={"csrf_token": token, "display_name": "Trần Văn Cường",
                                                            "unit_id": str(ids["t"]), "account_id": ""})
    assert added.status_code == 303
    member_id = int(added.headers["location"].rsplit("-", 1)[1])
    shown = await browser.get(added.headers["location"])
    assert "Đã thêm thành viên." in shown.text and f'id="member-{member_id}"' in shown.text

    # Rename and move to the other team.
    edit_id = f"{member_id}:edit"
    too_long = await browser.post(f"/admin/team/members/{member_id}/edit",
                                  data={"csrf_token": token, "display_name": "x" * 129, "unit_id": str(ids["t2"])})
    assert too_long.status_code == 422 and _field_error(too_long.text, edit_id, "display_name")
    moved = await browser.post(f"/admin/team/members/{member_id}/edit",
                               data={"csrf_token": token, "display_name": "Trần Văn Cường (tổ 2)", "unit_id": str(ids["t2"])})
    assert moved.status_code == 303
    row = (await console.client.get("/api/v1/admin/stats/members", headers=console.auth("admin"),
                                    params={"unit_id": ids["t2"]})).json()
    assert [(r["member_id"], r["name"]) for r in row] == [(member_id, "Trần Văn Cường (tổ 2)")]

    # Link a chat account: it then answers as the member, on the chat API too.
    chat_id = f"{member_id}:chat"
    spaced = await browser.post(f"/admin/team/members/{member_id}/chats",
                                data={"csrf_token": token, "channel": "web", "external_id": "a b"})
    assert spaced.status_code == 422 and _field_error(spaced.text, chat_id, "external_id")
    linked = await browser.post(f"/admin/team/members/{member_id}/chats",
                                data={"csrf_token": token, "channel": "web", "external_id": "page-cuong"})
    assert linked.status_code == 303
    assert "Trần Văn Cường (tổ 2)" in await _say(console, "page-cuong", "/thongke")
    other = (await console.client.post("/api/v1/admin/members", headers=console.auth("admin"),
                                       json={"display_name": "Người khác", "unit_id": ids["t"]})).json()
    taken = await browser.post(f"/admin/team/members/{other['id']}/chats",
                               data={"csrf_token": token, "channel": "web", "external_id": "page-cuong"})
    assert taken.status_code == 422
    assert "đã thuộc về một thành viên khác" in _field_error(taken.text, f"{other['id']}:chat", "external_id")
    unlinked = await browser.post(f"/admin/team/members/{member_id}/chats/unlink",
                                  data={"csrf_token": token, "channel": "web", "external_id": "page-cuong"})
    assert unlinked.status_code == 303
    assert "Trần Văn Cường" not in await _say(console, "page-cuong", "/thongke")

    # Remove: gone from the page, its counts kept; a second removal of an unknown member is a 404.
    removed = await browser.post(f"/admin/team/members/{member_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    after = await browser.get("/admin/team/members")
    assert f'id="member-{member_id}"' not in after.text
    assert (await browser.post("/admin/team/members/999999/remove", data={"csrf_token": token})).status_code == 404
    assert (await browser.post("/admin/team/members/99999999999/remove", data={"csrf_token": token})).status_code == 422
    assert (await browser.get("/admin/team/share", params={"member": 2**40})).status_code == 422
    assert (await browser.get("/admin/team/stats", params={"unit_id": 2**40})).status_code == 422
    huge_invite = await browser.post("/admin/team/invites", data={"csrf_token": token, "unit_id": str(2**40),
                                                                  "max_uses": "5", "days": "3"})
    assert huge_invite.status_code == 422
    actions = (await console.client.get("/api/v1/admin/audit", headers=console.auth("admin"),
                                        params={"action": "team.chat_link"})).json()
    assert actions["entries"] and all("page-cuong" not in str(e) for e in actions["entries"])
    assert _count(console, audits) - before_audit >= 6


async def test_only_admins_see_the_members_page(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "member")
    assert (await browser.get("/admin/team/members")).status_code == 403
