"""Import and export: round trips in YAML, CSV and Excel, dry runs, all-or-nothing, broken files, roles."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import httpx
import pytest
import yaml
from openpyxl import load_workbook

from api.content import write_export
from api.store.models import ContentVersion
from tests.console.conftest import Console, csrf_of

EXPORT = "/api/v1/admin/export"
IMPORT = "/api/v1/admin/import"
TYPES = {"yaml": "application/zip", "csv": "application/zip",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def versions(console: Console) -> int:
    with console.store.unit(readonly=True) as unit:
        return unit.count(ContentVersion)


async def export(console: Console, fmt: str, role: str = "viewer") -> bytes:
    r = await console.client.get(EXPORT, params={"format": fmt}, headers=console.auth(role))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == TYPES[fmt]
    assert "attachment" in r.headers["content-disposition"]
    return r.content


async def upload(console: Console, data: bytes, fmt: str, *, dry_run: bool, name: str = "",
                 role: str = "editor") -> httpx.Response:
    name = name or f"content.{'xlsx' if fmt == 'xlsx' else 'zip'}"
    return await console.client.post(IMPORT, params={"format": fmt, "dry_run": str(dry_run).lower()},
                                     files={"file": (name, data)}, headers=console.auth(role))


async def test_yaml_export_is_write_export_byte_for_byte(console: Console, tmp_path: Path) -> None:
    data = await export(console, "yaml")
    written = write_export(console.store, tmp_path)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(p.relative_to(tmp_path).as_posix() for p in written)
        for path in written:
            assert archive.read(path.relative_to(tmp_path).as_posix()) == path.read_bytes()
    assert {n.split("/")[0] for n in names} == {"faq", "flows", "catalogue"}


@pytest.mark.parametrize("fmt", ["yaml", "csv", "xlsx"])
async def test_round_trip_reports_no_changes_and_applies_nothing(console: Console, fmt: str) -> None:
    data = await export(console, fmt)
    before = versions(console)
    for dry_run in (True, False):
        r = await upload(console, data, fmt, dry_run=dry_run)
        assert r.status_code == 200, r.text[:2000]
        counts = r.json()["counts"]
        assert counts["new"] == counts["changed"] == counts["invalid"] == 0, [
            i for i in r.json()["items"] if i["status"] != "unchanged"][:3]
        assert counts["unchanged"] > 200
    assert versions(console) == before



async def test_csv_cells(console: Console) -> None:
    data = await export(console, "csv")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == [
            "faq.csv", "flow.csv", "life_event.csv", "sector.csv", "service.csv", "text.csv",
        ]
        raw = archive.read("faq.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the accents
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    entry = next(r for r in rows if r["id"] == "forgot_password")
    assert len(entry["questions"].splitlines()) > 1 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["reviewed"])
    flows = list(csv.DictReader(io.StringIO(zipfile.ZipFile(io.BytesIO(data)).read("flow.csv").decode("utf-8-sig"))))
    assert flows[0]["steps"].startswith("[{")
    book = load_workbook(io.BytesIO(await export(console, "xlsx")), read_only=True)
    assert book.sheetnames == ["faq", "flow", "service", "life_event", "sector", "text"]


async def test_edit_in_excel_dry_run_then_apply(console: Console) -> None:
    book = load_workbook(io.BytesIO(await export(console, "xlsx")))
    sheet = book["faq"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "forgot_password")
    row[header.index("questions")].value += "\nlỡ quên pass vneid rồi"
    new = list(row)
    sheet.append([c.value for c in new])
    sheet.cell(sheet.max_row, 1).value = "forgot_password_copy"
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    before = versions(console)
    dry = await upload(console, data, "xlsx", dry_run=True)
    assert dry.status_code == 200 and dry.json()["counts"]["changed"] == 1 and dry.json()["counts"]["new"] == 1
    assert versions(console) == before  # a dry run saves nothing
    applied = await upload(console, data, "xlsx", dry_run=False)
    assert applied.status_code == 200 and applied.json()["applied"] is True
    assert versions(console) == before + 2
    with console.store.unit(readonly=True) as unit:
        saved = unit.content_row(kind="faq", id="forgot_password")
        assert saved is not None and saved.data["questions"][-1] == "lỡ quên pass vneid rồi"
        assert unit.content_versions(kind="faq", id="forgot_password")[0].action == "import"
    chat = await console.client.post("/api/v1/chat", json={"user_id": "web-import", "text": "lỡ quên pass vneid rồi"})
    assert chat.json()["match"]["id"] in {"forgot_password", "forgot_password_copy"}


async def test_one_bad_row_means_nothing_is_saved(console: Console) -> None:
    data = await export(console, "csv")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        faq = archive.read("faq.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(faq)))
    header = rows[0]
    rows[1][header.index("answer")] = rows[1][header.index("answer")] + " (đã sửa)"  # a good change
    rows[2][header.index("reviewed")] = "hôm qua"  # a bad date
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    before = versions(console)
    r = await upload(console, out.getvalue().encode(), "csv", dry_run=False, name="faq.csv")
    assert r.status_code == 422
    report = r.json()["report"]
    assert report["applied"] is False and report["counts"]["invalid"] == 1 and report["counts"]["changed"] == 1
    bad = next(i for i in report["items"] if i["status"] == "invalid")
    assert bad["where"] == "faq.csv row 3" and bad["errors"][0]["field"] == "reviewed"
    assert versions(console) == before


async def test_invalid_yaml_items_are_reported_with_where(console: Console) -> None:
    doc = {"entries": [{"id": "Bad Id", "title": "x"}, {"title": "no id"}, "just text"]}
    r = await upload(console, yaml.safe_dump(doc, allow_unicode=True).encode(), "yaml", dry_run=True,
                     name="faq.yaml")
    assert r.status_code == 200
    report = r.json()
    assert report["counts"]["invalid"] == 3
    assert {i["where"] for i in report["items"]} == {"faq.yaml: entries[0]", "faq.yaml: entries[1]",
                                                      "faq.yaml: entries[2]"}


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(("fmt", "data", "name", "message"), [
    ("yaml", b"", "a.yaml", "empty"),
    ("yaml", b"entries: [\n  - id: x\n  bad", "a.yaml", "not valid YAML"),
    ("yaml", b"- just\n- a list\n", "a.yaml", "mapping"),
    ("yaml", b"recipes: []\n", "a.yaml", "unknown top-level key"),
    ("yaml", b"entries: {a: 1}\n", "a.yaml", "must be a list"),
    ("yaml", "entries:\n- id: \xe9\n".encode("latin-1"), "a.yaml", "not UTF-8"),
    ("yaml", b"PK\x03\x04 not really a zip", "a.zip", "no yaml content"),
    ("yaml", _zip({"readme.txt": b"hello"}), "a.zip", "no yaml content"),
    ("csv", b'id,title\n"unterminated', "faq.csv", "not valid CSV"),
    ("csv", b"id,colour\nx,red\n", "faq.csv", "unknown column"),
    ("csv", b"title\nx\n", "faq.csv", "no 'id' column"),
    ("csv", b"id\nx\n", "recipes.csv", "unknown kind"),
    ("xlsx", b"this is not a workbook", "a.xlsx", "not an Excel"),
    ("xlsx", _zip({"hello.txt": b"x"}), "a.xlsx", "not an Excel"),
    ("csv", bytes(range(256)) * 40, "faq.csv", "not UTF-8"),
])
async def test_broken_files_get_a_clear_4xx_and_save_nothing(console: Console, fmt: str, data: bytes, name: str,
                                                             message: str) -> None:
    before = versions(console)
    for dry_run in (True, False):
        r = await upload(console, data, fmt, dry_run=dry_run, name=name)
        assert r.status_code == 400, (r.status_code, r.text)
        assert message.lower() in r.json()["error"].lower(), r.json()
    assert versions(console) == before


async def test_ten_megabytes_of_garbage(console: Console) -> None:
    before = versions(console)
    r = await upload(console, b"\x00garbage" * (10 * 1024 * 1024 // 8), "xlsx", dry_run=True)
    assert r.status_code == 413 and "too large" in r.json()["error"]
    assert versions(console) == before


async def test_bad_parameters(console: Console) -> None:
    assert (await console.client.get(EXPORT, params={"format": "pdf"}, headers=console.auth("viewer"))).status_code == 422
    r = await console.client.post(IMPORT, params={"format": "yaml"}, headers=console.auth("editor"))
    assert r.status_code == 422  # no file
    r = await console.client.post(IMPORT, params={"format": "doc"}, files={"file": ("a", b"x")},
                                  headers=console.auth("editor"))
    assert r.status_code == 422
    r = await console.client.post(IMPORT, params={"dry_run": "maybe"}, files={"file": ("a", b"x")},
                                  headers=console.auth("editor"))
    assert r.status_code == 422


@pytest.mark.parametrize("role", ["admin", "editor", "viewer", "member", None])
async def test_roles(console: Console, role: str | None) -> None:
    headers = console.auth(role) if role else {}
    r = await console.client.get(EXPORT, params={"format": "csv"}, headers=headers)
    assert r.status_code == {"member": 403, None: 401}.get(role, 200)
    r = await console.client.post(IMPORT, params={"format": "yaml"}, headers=headers,
                                  files={"file": ("faq.yaml", b"entries: []\n")})
    assert r.status_code == {"member": 403, "viewer": 403, None: 401}.get(role, 400)


async def test_page_dry_run_then_confirm(console: Console, browser: httpx.AsyncClient) -> None:
    assert (await browser.get("/admin/transfer")).status_code == 303
    await console.login(browser, "viewer")
    page = await browser.get("/admin/transfer")
    assert page.status_code == 200 and "/admin/transfer/check" not in page.text
    assert (await browser.get("/admin/transfer/export", params={"format": "xlsx"})).status_code == 200
    await console.login(browser, "editor")
    page = await browser.get("/admin/transfer")
    token = csrf_of(page.text)
    doc = yaml.safe_load(zipfile.ZipFile(io.BytesIO(await export(console, "yaml"))).read("faq/fees.yaml"))
    doc["entries"][0]["answer"] += " Cập nhật từ trang nhập."
    data = yaml.safe_dump(doc, allow_unicode=True).encode()
    files = {"file": ("fees.yaml", data)}
    refused = await browser.post("/admin/transfer/check", data={"format": "yaml"}, files=files)
    assert refused.status_code == 403  # no CSRF token
    before = versions(console)
    checked = await browser.post("/admin/transfer/check", data={"format": "yaml", "csrf_token": token}, files=files)
    assert checked.status_code == 200 and "thay đổi 1" in checked.text
    assert versions(console) == before
    pending = re.search(r'name="pending" value="([^"]+)"', checked.text)
    assert pending is not None
    done = await browser.post("/admin/transfer/apply", data={"pending": pending.group(1), "csrf_token": token})
    assert done.status_code == 200 and "Đã nhập" in done.text
    assert versions(console) == before + 1
    again = await browser.post("/admin/transfer/apply", data={"pending": pending.group(1), "csrf_token": token})
    assert again.status_code == 410 and versions(console) == before + 1
    broken = await browser.post("/admin/transfer/check", data={"format": "xlsx", "csrf_token": token},
                                files={"file": ("x.xlsx", b"garbage")})
    assert broken.status_code == 400 and "Không đọc được tệp" in broken.text
    empty = await browser.post("/admin/transfer/check", data={"format": "yaml", "csrf_token": token})
    assert empty.status_code == 422 and 'role="alert"' in empty.text


async def test_a_broken_multipart_body_is_a_400_with_error(console: Console) -> None:
    r = await console.client.post(IMPORT, params={"format": "xlsx"}, content=b"--b1\r\nNone--b1--\r\n",
                                  headers={**console.auth("editor"), "content-type": "multipart/form-data; boundary=b1"})
    assert r.status_code == 400 and "cannot be read" in r.json()["error"]
