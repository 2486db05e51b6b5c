"""Per-day stats over HTTP, their exports, the progress chart, and the team-lead role (REST, console, chat).

Counts are recorded through the chat (joins, arrivals through a member's link, «/dagiup») or, where
the day matters, straight into the team tables at chosen instants; the answers are checked against them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import httpx
from openpyxl import load_workbook

from api.team import repo
from tests.console.conftest import Console, csrf_of
from tests.team.factories import add_member, make_tree

EVIL = '=HYPERLINK("http://203.0.113.5/x","bấm vào đây")'


def _utc(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=dt.UTC)


def _arrive(console: Console, member: repo.MemberView, ext: str, at: dt.datetime) -> None:
    with console.store.unit() as unit:
        user = unit.get_or_create_user(channel="web", external_id=ext, now=at)
        assert repo.attribute(unit, user_id=user, channel="web", external_id=ext, code=member.referral_code, now=at)


def _account_id(console: Console, role: str) -> int:
    with console.store.unit() as unit:
        found: int = unit.connection.exec_driver_sql(
            "SELECT id FROM admin_accounts WHERE username = ?", (f"test-{role}",)).scalar_one()
    return found


async def _say(console: Console, user: str, text: str) -> str:
    r = await console.client.post("/api/v1/chat", json={"user_id": user, "text": text})
    assert r.status_code == 200, r.text
    return "\n\n".join(x["text"] for x in r.json()["replies"])


async def test_daily_rows_exports_and_formula_injection(console: Console) -> None:
    c, admin = console.client, console.auth("admin")
    tree = make_tree(console.store, name="Tổ công nghệ số tổ dân phố 1")
    lan = add_member(console.store, tree.team, "Nguyễn Thị Lan")
    evil = add_member(console.store, tree.other_team, EVIL)
    _arrive(console, lan, "d-1", _utc(1, 16, 59))   # 23:59 on 01/12 in Vietnam
    _arrive(console, lan, "d-2", _utc(1, 23, 30))   # 06:30 on 02/12
    _arrive(console, evil, "d-3", _utc(2, 2))
    with console.store.unit() as unit:
        repo.record_help(unit, member_id=evil.id, kind="level2", count=4, now=_utc(2, 17))  # 00:00 on 03/12
    scope = {"unit_id": str(tree.commune)}

    rows = (await c.get("/api/v1/admin/stats/daily", headers=admin, params=scope)).json()
    assert [(r["day"], r["name"], r["reached"], r["completed"], r["in_person"]) for r in rows] == [
        ("2026-12-01", "Nguyễn Thị Lan", 1, 0, 0),
        ("2026-12-02", EVIL, 1, 0, 0),
        ("2026-12-02", "Nguyễn Thị Lan", 1, 0, 0),
        ("2026-12-03", EVIL, 0, 0, 4),
    ]
    assert rows[0] == {"day": "2026-12-01", "level": "member", "id": lan.id, "name": "Nguyễn Thị Lan",
                       "parent": "Tổ công nghệ số tổ dân phố 1", "reached": 1, "completed": 0, "in_person": 0}
    teams = (await c.get("/api/v1/admin/stats/daily", headers=admin, params={**scope, "level": "team"})).json()
    assert [(r["day"], r["id"], r["reached"], r["in_person"]) for r in teams] == [
        ("2026-12-01", tree.team, 1, 0),
        ("2026-12-02", tree.other_team, 1, 0),  # by name: «…khu phố 5» before «…tổ dân phố 1»
        ("2026-12-02", tree.team, 1, 0),
        ("2026-12-03", tree.other_team, 0, 4)]
    communes = (await c.get("/api/v1/admin/stats/daily", headers=admin, params={**scope, "level": "commune"})).json()
    assert [(r["day"], r["name"], r["reached"], r["in_person"], r["parent"]) for r in communes] == [
        ("2026-12-01", "Phường Kinh Bắc", 1, 0, "Tỉnh Bắc Ninh"), ("2026-12-02", "Phường Kinh Bắc", 2, 0, "Tỉnh Bắc Ninh"),
        ("2026-12-03", "Phường Kinh Bắc", 0, 4, "Tỉnh Bắc Ninh")]
    one_day = (await c.get("/api/v1/admin/stats/daily", headers=admin,
                           params={**scope, "since": "2026-12-02", "until": "2026-12-02"})).json()
    assert {r["day"] for r in one_day} == {"2026-12-02"} and len(one_day) == 2

    # CSV: the formula is kept as text (a leading apostrophe), the Vietnamese names intact.
    body = (await c.get("/api/v1/admin/stats/daily.csv", headers=admin, params=scope)).text
    table = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert table[0] == ["day", "level", "id", "name", "parent", "reached", "completed", "in_person"]
    assert table[1] == ["2026-12-01", "member", str(lan.id), "Nguyễn Thị Lan", "Tổ công nghệ số tổ dân phố 1", "1", "0", "0"]
    assert [row[3] for row in table[1:]].count("'" + EVIL) == 2 and EVIL not in [row[3] for row in table[1:]]
    # Excel: days are dates shown dd/mm/yyyy, the formula is a plain string cell.
    xlsx = await c.get("/api/v1/admin/stats/daily.xlsx", headers=admin, params={**scope, "level": "member"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert values[0][0] == dt.datetime(2026, 12, 1) and sheet.cell(2, 1).number_format == "DD/MM/YYYY"
    assert values[0][3:] == ["Nguyễn Thị Lan", "Tổ công nghệ số tổ dân phố 1", 1, 0, 0]
    evil_cells = [sheet.cell(i, 4) for i in range(2, sheet.max_row + 1) if "HYPERLINK" in str(sheet.cell(i, 4).value)]
    assert len(evil_cells) == 2 and all(cell.data_type == "s" and cell.value == "'" + EVIL for cell in evil_cells)
    # The member totals export neutralises the same name.
    totals = (await c.get("/api/v1/admin/stats/members.csv", headers=admin, params=scope)).text
    assert "'" + EVIL.replace('"', '""') in totals

    # Bad input is a 4xx, never a 500; a viewer has no stats.
    for params in ({"level": "province"}, {"since": "2026-12-03", "until": "2026-12-01"}, {"since": "hôm qua"},
                   {"unit_id": "0"}):
        assert (await c.get("/api/v1/admin/stats/daily", headers=admin, params=params)).status_code == 422, params
    assert (await c.get("/api/v1/admin/stats/daily")).status_code == 401
    assert (await c.get("/api/v1/admin/stats/daily.csv", headers=console.auth("viewer"))).status_code == 403
    spec = (await c.get("/openapi.json")).json()
    daily = spec["paths"]["/api/v1/admin/stats/daily"]["get"]
    level = next(p for p in daily["parameters"] if p["name"] == "level")
    assert level["schema"]["enum"] == ["member", "team", "commune"] and "Vietnam time" in daily["description"]
    assert "image/svg+xml" in spec["paths"]["/api/v1/admin/stats/progress.svg"]["get"]["responses"]["200"]["content"]


async def test_the_progress_chart_is_a_pygal_svg_with_no_script(console: Console) -> None:
    tree = make_tree(console.store, name="Tổ công nghệ số tổ dân phố 2")
    minh = add_member(console.store, tree.team, "Trần Văn Minh")
    for n, at in enumerate((_utc(5, 1), _utc(5, 2), _utc(6, 23, 30), _utc(7, 1))):
        _arrive(console, minh, f"chart-{n}", at)
    with console.store.unit() as unit:
        repo.record_help(unit, member_id=minh.id, kind="install", count=1234, now=_utc(6, 3))
    r = await console.client.get("/api/v1/admin/stats/progress.svg", headers=console.auth("admin"),
                                 params={"unit_id": tree.team})
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    assert r.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    svg = r.text
    assert svg.startswith("<svg") and 'class="pygal-chart"' in svg
    # Cumulative per Vietnam day: 2 on 05/12, 2 on 06/12, 4 on 07/12 (23:30 UTC on 06/12 is 07/12).
    assert "Người tiếp cận: 05/12 2, 06/12 2, 07/12 4" in svg
    assert "Lượt giúp trực tiếp: 05/12 0, 06/12 1.234, 07/12 1.234" in svg  # Vietnamese thousands
    values = re.findall(r'<desc class="value">([^<]*)</desc>', svg)
    assert values[:3] == ["2", "2", "4"] and "1.234" in values
    assert re.findall(r"https?://[^\"'\s<>]+", svg) == ["http://www.w3.org/2000/svg"]  # only the namespace
    assert "<script" not in svg and "<!--" not in svg and "xlink:href" not in svg
    assert "<title>Tiến độ cộng dồn theo ngày</title>" in svg and "Ngày (giờ Việt Nam)" in svg
    assert (await console.client.get("/api/v1/admin/stats/progress.svg")).status_code == 401
    bad = await console.client.get("/api/v1/admin/stats/progress.svg", headers=console.auth("admin"),
                                   params={"since": "2026-12-09", "until": "2026-12-01"})
    assert bad.status_code == 422


async def test_a_team_lead_sees_their_team_in_rest_console_and_chat(console: Console,
                                                                   browser: httpx.AsyncClient) -> None:
    c, admin, member = console.client, console.auth("admin"), console.auth("member")
    tree = make_tree(console.store, name="Tổ công nghệ số tổ dân phố 9")
    me = add_member(console.store, tree.team, "Đỗ Thị Mai", account_id=_account_id(console, "member"))
    mate = add_member(console.store, tree.team, "Vũ Văn Nam")
    other = add_member(console.store, tree.other_team, "Hoàng Thị Oanh")
    # Mai's chat account joins her record; Nam and Oanh have counts of their own.
    with console.store.unit() as unit:
        repo.link_chat(unit, member_id=me.id, channel="web", external_id="mai-chat", now=_utc(1, 0))
        repo.record_help(unit, member_id=mate.id, kind="level2", count=7, now=_utc(1, 3))
        repo.record_help(unit, member_id=other.id, kind="install", count=2, now=_utc(1, 3))
    _arrive(console, mate, "citizen-of-nam", _utc(1, 4))

    async def seen() -> tuple[set[int], set[int]]:
        rows = (await c.get("/api/v1/admin/stats/members", headers=member)).json()
        daily = (await c.get("/api/v1/admin/stats/daily", headers=member)).json()
        return {r["member_id"] for r in rows}, {r["id"] for r in daily}

    # A plain member sees only themself, in totals, per day, and in /thongke.
    assert await seen() == ({me.id}, set())
    plain = await _say(console, "mai-chat", "/thongke")
    assert "Đỗ Thị Mai" in plain and "Vũ Văn Nam" not in plain and "tổ trưởng" not in plain
    # The admin makes her the lead (REST); now she sees her team, never the other team.
    r = await c.patch(f"/api/v1/admin/members/{me.id}", headers=admin, json={"team_lead": True})
    assert r.status_code == 200 and r.json()["team_lead"] is True
    assert await seen() == ({me.id, mate.id}, {mate.id})
    lead = await _say(console, "mai-chat", "/thongke")
    assert "Bạn là tổ trưởng" in lead and "(2 người)" in lead
    assert "• Vũ Văn Nam: tiếp cận 1 · hoàn thành 0 · trực tiếp 7 · đã giúp 7/10" in lead
    assert "• Đỗ Thị Mai: tiếp cận 0" in lead
    assert "Hoàng Thị Oanh" not in lead and "citizen-of-nam" not in lead
    assert lead.index("Vũ Văn Nam") < lead.index("• Đỗ Thị Mai")  # most helped first
    # The console's stats page shows the lead her team's rows (counts only), not the other team's.
    await console.login(browser, "member")
    page = (await browser.get("/admin/team/stats")).text
    table = page.split('id="member-stats"', 1)[1].split("</table>", 1)[0]
    assert "Vũ Văn Nam" in table and "Đỗ Thị Mai" in table and "Hoàng Thị Oanh" not in table
    assert "bạn là tổ trưởng" in page and "citizen-of-nam" not in page
    # The admin takes the role back from the console's members page; she sees herself only again.
    await console.login(browser, "admin")
    members_page = await browser.get("/admin/team/members")
    assert "Tổ trưởng" in members_page.text.split(f'id="member-{me.id}"', 1)[1].split("</li>", 1)[0]
    token = csrf_of(members_page.text)
    assert (await browser.post(f"/admin/team/members/{me.id}/lead", data={"lead": "no"})).status_code == 403
    bad = await browser.post(f"/admin/team/members/{me.id}/lead", data={"csrf_token": token, "lead": "maybe"})
    assert bad.status_code == 422
    done = await browser.post(f"/admin/team/members/{me.id}/lead", data={"csrf_token": token, "lead": "no"})
    assert done.status_code == 303 and done.headers["location"].startswith("/admin/team/members?done=not_lead")
    assert await seen() == ({me.id}, set())
    missing = await browser.post("/admin/team/members/999999/lead", data={"csrf_token": token, "lead": "yes"})
    assert missing.status_code == 404
    # Made lead again, then moved to the other team: the role ends with the move.
    await c.patch(f"/api/v1/admin/members/{me.id}", headers=admin, json={"team_lead": True})
    moved = (await c.patch(f"/api/v1/admin/members/{me.id}", headers=admin, json={"unit_id": tree.other_team})).json()
    assert moved["team_lead"] is False and await seen() == ({me.id}, set())
    refused = await c.patch(f"/api/v1/admin/members/{mate.id}", headers=admin, json={"team_lead": True, "active": False})
    assert refused.status_code == 422
    with console.store.unit() as unit:
        audit: list[Any] = unit.connection.exec_driver_sql(
            "SELECT detail FROM audit_log WHERE action = 'team.member_update' AND target = ?", (str(me.id),)).all()
    assert sum('"lead": true' in str(row[0]) for row in audit) == 2
    assert sum('"lead": false' in str(row[0]) for row in audit) == 2  # taken back, then ended by the move
    # The admin's per-day table by team, and a reversed date range refused on the page.
    by_team = await browser.get("/admin/team/stats", params={"level": "team", "unit_id": str(tree.commune)})
    daily_table = by_team.text.split('id="daily-stats"', 1)[1].split("</table>", 1)[0]
    assert "<td>01/12/2026</td><td>Tổ công nghệ số tổ dân phố 9</td><td>Phường Kinh Bắc</td><td>1</td>" in daily_table
    assert "level=team" in by_team.text.split("Tải CSV theo ngày", 1)[0].rsplit("href=", 1)[1]
    reversed_range = await browser.get("/admin/team/stats", params={"since": "2026-12-05", "until": "2026-12-01"})
    assert reversed_range.status_code == 422 and "«Từ ngày» phải trước" in reversed_range.text
    assert "progress-chart" not in reversed_range.text
