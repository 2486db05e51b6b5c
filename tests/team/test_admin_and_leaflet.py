"""The team's admin REST API, console pages and the leaflet round trip (PDF → PNG → QR, and text).

The round trip uses Debian's poppler-utils (pdftoppm, pdftotext) and zbar-tools (zbarimg), which
``.ci/run`` installs when missing.
"""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from api.settings import PROJECT_ROOT
from api.team.leaflet import is_question, main_path, step_texts
from flows.loader import load_flows_dir
from tests.console.conftest import Console, csrf_of

TOOLS = ("pdftoppm", "pdftotext", "zbarimg")


async def _run(*args: str) -> str:
    """A Debian tool's standard output (run in a thread: the event loop serves the app meanwhile)."""
    done = await asyncio.to_thread(subprocess.run, list(args), capture_output=True, text=True, check=True)
    return str(done.stdout)


async def _tree(console: Console) -> dict[str, int]:
    admin = console.auth("admin")
    ids: dict[str, int] = {}
    for key, level, name, parent in (("p", "province", "Thành phố Huế", None), ("c", "commune", "Phường Thuận Hóa", "p"),
                                     ("t", "team", "Tổ công nghệ số tổ dân phố 7", "c"),
                                     ("t2", "team", "Tổ công nghệ số tổ dân phố 8", "c")):
        r = await console.client.post("/api/v1/admin/units", headers=admin,
                                      json={"level": level, "name": name, "parent_id": ids.get(parent or "")})
        assert r.status_code == 201, r.text
        ids[key] = r.json()["id"]
    return ids


async def _member(console: Console, team: int, role: str | None = "member") -> dict[str, object]:
    account_id = None
    if role is not None:
        with console.store.unit() as unit:
            account_id = unit.connection.exec_driver_sql(
                "SELECT id FROM admin_accounts WHERE username = ?", (f"test-{role}",)).scalar_one()
    r = await console.client.post("/api/v1/admin/members", headers=console.auth("admin"),
                                  json={"display_name": "Phạm Thị Hường", "unit_id": team, "account_id": account_id})
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


async def test_units_invites_members_and_who_sees_what(console: Console) -> None:
    c, admin, member = console.client, console.auth("admin"), console.auth("member")
    ids = await _tree(console)
    assert (await c.post("/api/v1/admin/units", json={"level": "province", "name": "X"})).status_code == 401
    assert (await c.post("/api/v1/admin/units", headers=member, json={"level": "province", "name": "X"})).status_code == 403
    bad = await c.post("/api/v1/admin/units", headers=admin, json={"level": "team", "name": "X", "parent_id": ids["p"]})
    assert bad.status_code == 422
    assert (await c.post("/api/v1/admin/units", headers=admin, json={"level": "ward"})).status_code == 422
    r = await c.post("/api/v1/admin/invites", headers=admin, json={"unit_id": ids["t"], "max_uses": 3})
    assert r.status_code == 201 and len(r.json()["code"]) == 10
    assert (await c.post("/api/v1/admin/invites", headers=admin, json={"unit_id": ids["c"]})).status_code == 422
    me = await _member(console, ids["t"])
    other = (await c.post("/api/v1/admin/members", headers=admin,
                          json={"display_name": "Người khác", "unit_id": ids["t2"]})).json()
    # A member sees only their own row, links and leaflets.
    rows = (await c.get("/api/v1/admin/stats/members", headers=member)).json()
    assert [r["member_id"] for r in rows] == [me["id"]]
    assert set(rows[0]) >= {"member_id", "name", "reached", "completed", "in_person"}
    everyone = (await c.get("/api/v1/admin/stats/members", headers=admin, params={"unit_id": ids["c"]})).json()
    assert {r["member_id"] for r in everyone} == {me["id"], other["id"]}
    assert (await c.get(f"/api/v1/admin/members/{other['id']}/links", headers=member)).status_code == 404
    links = (await c.get(f"/api/v1/admin/members/{me['id']}/links", headers=member)).json()
    kinds = {item["kind"] for item in links}
    assert kinds == {"menu", "flow", "step", "faq", "service"}
    assert all(item["web"].endswith(f"-r{me['referral_code']}") for item in links)
    assert (await c.get(f"/api/v1/admin/members/{me['id']}/leaflet.pdf", headers=member,
                        params={"flow": "nope", "size": "a4"})).status_code == 404
    assert (await c.get(f"/api/v1/admin/members/{me['id']}/leaflet.pdf", headers=member,
                        params={"flow": "install", "size": "a3"})).status_code == 422
    assert (await c.get("/api/v1/admin/stats/members", headers=console.auth("viewer"))).status_code == 403
    # Exports.
    csv_body = (await c.get("/api/v1/admin/stats/members.csv", headers=admin)).text.lstrip("\ufeff")
    assert next(csv.reader(io.StringIO(csv_body)))[:2] == ["member_id", "name"]
    xlsx = await c.get("/api/v1/admin/stats/members.xlsx", headers=admin)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.cell(2, 2).value in ("Phạm Thị Hường", "Người khác")
    # Moving and removing.
    moved = await c.patch(f"/api/v1/admin/members/{other['id']}", headers=admin, json={"unit_id": ids["t"]})
    assert moved.json()["team"] == "Tổ công nghệ số tổ dân phố 7"
    assert (await c.patch("/api/v1/admin/members/99999", headers=admin, json={"active": False})).status_code == 404


@pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS), reason="poppler-utils and zbar-tools are needed")
@pytest.mark.parametrize("size", ["a4", "a5"])
async def test_the_leaflet_round_trip(console: Console, tmp_path: Path, size: str) -> None:
    ids = await _tree(console)
    me = await _member(console, ids["t"], role=None)
    r = await console.client.get(f"/api/v1/admin/members/{me['id']}/leaflet.pdf", headers=console.auth("admin"),
                                 params={"flow": "l2", "size": size})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "leaflet.pdf"
    pdf.write_bytes(r.content)
    await _run("pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "page"))
    decoded = (await _run("zbarimg", "-q", "--raw", str(tmp_path / "page.png"))).split()
    link = f"http://127.0.0.1:8000/?start=f-l2-r{me['referral_code']}"
    assert decoded == [link] * (2 if size == "a5" else 1)
    text = await _run("pdftotext", "-enc", "UTF-8", str(pdf), "-")
    for phrase in ("Làm định danh mức 2", "Phạm Thị Hường", "Tổ công nghệ số tổ dân phố 7", "1900 0368", "1800 1096",
                   "Quét mã QR", "Công an cấp xã",
                   # A question step is printed with its answers and where each leads.
                   ("Bạn làm cho ai? • «Làm cho tôi»: xem bước 3 • «Làm cho con dưới 14 tuổi»: quét mã QR để được "
                    "hướng dẫn tiếp")):
        assert phrase in " ".join(text.split()), phrase
    if size == "a4":  # a whole page has room for the next question too
        assert "«Có, thẻ còn hạn»: xem bước 4" in " ".join(text.split())
    assert "\ufffd" not in text and "□" not in text
    fonts = await _run("pdffonts", str(pdf))
    assert "BeVietnamPro" in fonts and " yes " in fonts  # embedded
    # The public copy (the link /chiase gives) is the same leaflet.
    public = await console.client.get(f"/l/{me['referral_code']}/l2-{size}.pdf")
    assert public.status_code == 200 and public.content[:4] == b"%PDF"
    assert (await console.client.get("/l/AAAAAAAA/l2-a4.pdf")).status_code == 404
    qr = await console.client.get(f"/l/{me['referral_code']}/qr.png", params={"p": "f-l2"})
    assert qr.headers["content-type"] == "image/png"
    svg = await console.client.get(f"/l/{me['referral_code']}/qr.svg", params={"p": "f-l2"})
    assert svg.text.lstrip().startswith("<svg")
    assert (await console.client.get(f"/l/{me['referral_code']}/qr.svg", params={"p": "x y"})).status_code == 404


async def test_console_pages(console: Console, browser: httpx.AsyncClient) -> None:
    await console.login(browser, "admin")
    page = await browser.get("/admin/team/units")
    assert page.status_code == 200
    token = csrf_of(page.text)
    added = await browser.post("/admin/team/units", data={"csrf_token": token, "level": "province", "name": "Tỉnh Lào Cai"})
    assert "Đã thêm «Tỉnh Lào Cai»" in added.text
    assert (await browser.post("/admin/team/units", data={"level": "province", "name": "X"})).status_code == 403
    refused = await browser.post("/admin/team/invites", data={"csrf_token": token, "unit_id": "1", "max_uses": "5",
                                                              "days": "3"})
    assert refused.status_code in (200, 422)
    stats = await browser.get("/admin/team/stats")
    assert stats.status_code == 200 and 'src="/api/v1/admin/stats/progress.svg?"' in stats.text
    assert "Bảng xếp hạng tổ" in stats.text and "Theo ngày" in stats.text
    assert "script" not in stats.text.split("<main", 1)[1]
    chart = await browser.get("/api/v1/admin/stats/progress.svg")
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
    assert "<script" not in chart.text and "Chưa có số liệu" in chart.text


def test_question_steps_print_their_answers() -> None:
    flows = {f.id: f for f in load_flows_dir(PROJECT_ROOT / "flows" / "content").items}
    steps = step_texts(flows["l2"])
    assert [is_question(s) for s in main_path(flows["l2"])][:4] == [False, True, True, True]
    assert steps[1].splitlines()[1:] == ["   • «Làm cho tôi»: xem bước 3",
                                         "   • «Làm cho con dưới 14 tuổi»: quét mã QR để được hướng dẫn tiếp"]
    assert steps[3].splitlines()[1:] == ["   • «Có»: xem bước 5",
                                         "   • «Số không đúng tên tôi»: quét mã QR để được hướng dẫn tiếp",
                                         "   • «Chưa có điện thoại»: quét mã QR để được hướng dẫn tiếp"]
    # A checklist is printed under its step; a plain step and the end step's links to other guides are not options.
    bring = steps[4].splitlines()
    assert bring[1] == "Mang theo:" and bring[2] == "   – Thẻ căn cước (hoặc thẻ căn cước công dân) gắn chip"
    assert "•" not in steps[0] and "•" not in steps[-1]
    # Every guide's leaflet names every answer of every question it prints.
    for flow in flows.values():
        for step, printed in zip(main_path(flow), step_texts(flow), strict=True):
            if is_question(step):
                assert all(f"«{c.label}»" in printed for c in step.choices), (flow.id, step.id)
