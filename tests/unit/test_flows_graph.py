"""Every shipped flow, walked through every button from every step with the real engine.

The walk starts each flow at its first step and presses every button it is shown (plus
"quay lại" and "làm lại" from every position), following same-flow buttons with
``goto``/``enter`` exactly as the core does. It checks the rendered replies, not the YAML.
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.core.payloads import BASE_MAX, parse
from bot.core.types import Reply, is_valid_payload
from faq.loader import load_faq_dir
from flows.catalogue import Catalogue
from flows.engine import BUTTONS_MAX, FlowOutcome, FlowSet, back, enter, goto, restart, show
from flows.loader import load_catalogue_dir, load_flows_dir, load_taxonomy
from flows.schema import CHOICE_LABEL_MAX, STEP_TEXT_MAX

ROOT = Path(__file__).resolve().parents[2]
FLOWS_DIR = ROOT / "flows" / "content"
CATALOGUE_DIR = ROOT / "flows" / "catalogue"
FAQ_DIR = ROOT / "faq" / "content"
FIXED_IDS = {"install", "l1", "l2", "activate", "fix", "scam", "birth", "death", "portal"}
NOW = "2026-11-23T08:00:00+00:00"
#: A rendered reply fits a phone screen.
REPLY_MAX = 700

ALLOWED_NUMBERS = ("1900 0368", "1800 1096")
ALLOWED_SHORT_NUMBERS = {"156", "5656"}
ALLOWED_DOMAINS = {"dichvucong.gov.vn", "vneid.gov.vn", "thongbaorac.ais.gov.vn"}
_FORBIDDEN = re.compile(r"\b(quận|huyện|thị trấn)\b", re.IGNORECASE)
_DOMAIN = re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.(?:vn|com|net|org|gov|info|io|app|me)\b", re.IGNORECASE)
_WITH_SLASH = re.compile(r"\S*\d\S*/\S*")  # dates, document numbers (63/2024/NĐ-CP)
_MONEY = re.compile(r"\d{1,3}(?:\.\d{3})+ đồng")
_PROCEDURE_CODE = re.compile(r"\b\d\.\d{6}\b")  # national procedure codes (thủ tục 1.013833)


def text_problems(text: str) -> list[str]:
    """House-rule problems of a citizen-facing text (places, phone numbers, links, Unicode)."""
    problems: list[str] = []
    if unicodedata.normalize("NFC", text) != text:
        problems.append("text is not NFC")
    for m in _FORBIDDEN.finditer(text):
        problems.append(f"forbidden place word {m.group(0)!r}")
    if "http" in text.lower() or "www." in text.lower():
        problems.append("link with a scheme")
    for domain in _DOMAIN.findall(text):
        if domain.lower() not in ALLOWED_DOMAINS:
            problems.append(f"domain not allowed: {domain}")
    rest = text
    for number in ALLOWED_NUMBERS:
        rest = rest.replace(number, " ")
    rest = _MONEY.sub(" ", _WITH_SLASH.sub(" ", _PROCEDURE_CODE.sub(" ", rest)))
    for number in re.findall(r"\d+(?:[ .]\d{3,})*", rest):
        digits = re.sub(r"\D", "", number)
        is_year = len(digits) == 4 and 1990 <= int(digits) <= 2099
        if len(digits) <= 2 or is_year or digits in ALLOWED_SHORT_NUMBERS:
            continue
        problems.append(f"number not allowed: {number!r}")
    return problems


@dataclass(frozen=True)
class Content:
    """The shipped content, loaded the way the app loads it."""

    flows: FlowSet
    faq_ids: frozenset[str]
    service_ids: frozenset[str]


@pytest.fixture(scope="module")
def content() -> Content:
    """Real flows, FAQ ids and service ids."""
    faq = load_faq_dir(FAQ_DIR)
    cat = load_catalogue_dir(CATALOGUE_DIR)
    tax = load_taxonomy(CATALOGUE_DIR)
    Catalogue.build(cat.items, tax.life_events, tax.sectors)
    result = load_flows_dir(FLOWS_DIR)
    assert result.errors == (), [str(e) for e in result.errors]
    return Content(
        flows=FlowSet.build(result.items, faq_titles={e.id: e.title for e in faq.items}),
        faq_ids=frozenset(e.id for e in faq.items),
        service_ids=frozenset(s.id for s in cat.items),
    )


def test_every_flow_file_loads_with_the_fixed_ids(content: Content) -> None:
    assert set(content.flows.ids()) == FIXED_IDS
    for flow in content.flows.all():
        assert 5 <= len(flow.triggers) <= 10, flow.id
        assert len(flow.title) <= 40


def test_links_to_faq_and_services_exist(content: Content) -> None:
    result = load_flows_dir(FLOWS_DIR, known_faq=content.faq_ids, known_services=content.service_ids)
    assert result.errors == (), [str(e) for e in result.errors]


@dataclass(frozen=True)
class Visit:
    """One rendered outcome reached by the walk, and how."""

    outcome: FlowOutcome
    via: str


def _check_reply(reply: Reply, where: str) -> None:
    assert len(reply.buttons) <= BUTTONS_MAX, where
    assert len(reply.text) <= REPLY_MAX, f"{where}: {len(reply.text)} characters"
    assert text_problems(reply.text) == [], (where, text_problems(reply.text))
    seen: set[str] = set()
    for b in reply.buttons:
        assert is_valid_payload(b.payload) and len(b.payload) <= BASE_MAX, (where, b)
        assert parse(b.payload) is not None, (where, b)
        assert 1 <= len(b.label) <= CHOICE_LABEL_MAX, (where, b)
        assert text_problems(b.label) == [], (where, b)
        assert b.payload not in seen, (where, "duplicate payload", b)
        seen.add(b.payload)


def walk(content: Content, flow_id: str) -> Iterator[Visit]:
    """Breadth-first over every position reachable by pressing buttons, back and restart."""
    flows = content.flows
    first = enter(flows, flow_id, None, now_iso=NOW)
    assert first is not None
    queue: deque[Visit] = deque([Visit(first, "enter")])
    seen: set[tuple[str, str, tuple[str, ...]] | str] = set()
    while queue:
        visit = queue.popleft()
        out = visit.outcome
        pos = out.position
        key: tuple[str, str, tuple[str, ...]] | str = (pos.flow, pos.step, pos.history) if pos else out.ref
        if key in seen:
            continue
        seen.add(key)
        yield visit
        for b in out.reply.buttons:
            p = parse(b.payload)
            assert p is not None
            if p.kind == "f":
                target, step = p.args[0], (p.args[1] if len(p.args) > 1 else None)
                if target == flow_id and step is not None and pos is not None:
                    nxt = goto(flows, pos, step, now_iso=NOW)
                else:
                    nxt = enter(flows, target, step, now_iso=NOW)
                assert nxt is not None, f"{out.ref}: button {b} leads nowhere"
                if target == flow_id:
                    queue.append(Visit(nxt, f"{out.ref} --{b.label}-->"))
            elif p.kind == "q":
                assert p.arg in content.faq_ids, f"{out.ref}: unknown FAQ {b}"
            elif p.kind == "s":
                assert p.arg in content.service_ids, f"{out.ref}: unknown service {b}"
            elif p.kind == "c":
                assert p.arg in {"back", "handoff"}, f"{out.ref}: unexpected command {b}"
                if p.arg == "back":
                    assert pos is not None and pos.history, f"{out.ref}: back offered without history"
            else:
                assert p.kind == "menu", f"{out.ref}: unexpected payload {b}"
        if pos is not None:
            queue.append(Visit(back(flows, pos, now_iso=NOW), f"{out.ref} --back-->"))
            queue.append(Visit(restart(flows, pos, now_iso=NOW), f"{out.ref} --restart-->"))
            again = show(flows, pos, now_iso=NOW)
            assert again is not None and again.reply == out.reply


@pytest.mark.parametrize("flow_id", sorted(FIXED_IDS))
def test_walk_every_branch(content: Content, flow_id: str) -> None:
    flow = content.flows.get(flow_id)
    assert flow is not None
    shown: set[str] = set()
    edges: dict[str, set[str]] = {s.id: set() for s in flow.steps}
    leaves: set[str] = set()
    for visit in walk(content, flow_id):
        out = visit.outcome
        step_id = out.ref.split("/", 1)[1]
        step = flow.step(step_id)
        assert step is not None
        shown.add(step_id)
        where = f"{out.ref} (via {visit.via})"
        _check_reply(out.reply, where)
        header = out.reply.text.splitlines()[0]
        m = re.fullmatch(rf"Bước (\d+)/(\d+) · {re.escape(flow.title)}", header)
        assert m, f"{where}: header {header!r}"
        assert 1 <= int(m.group(1)) <= int(m.group(2)), where
        assert len(step.text) <= STEP_TEXT_MAX
        assert (out.position is None) == step.end, where
        names = [e.name for e in out.events]
        assert names and set(names) <= {"flow_started", "flow_step", "flow_finished"}, where
        assert ("flow_finished" in names) == step.end, where
        assert all(e.as_dict() == {"flow": flow_id, "step": step_id} for e in out.events), where
        for b in out.reply.buttons:
            p = parse(b.payload)
            assert p is not None
            if p.kind == "f" and p.args[0] == flow_id and len(p.args) > 1:
                edges[step_id].add(p.args[1])
            elif p.kind == "f":
                leaves.add(step_id)  # opens another guide
    assert shown == {s.id for s in flow.steps}, f"never shown: {sorted({s.id for s in flow.steps} - shown)}"
    # From every step, some path of buttons ends the flow or opens another guide.
    done = {s.id for s in flow.steps if s.end} | leaves
    changed = True
    while changed:
        changed = False
        for sid, targets in edges.items():
            if sid not in done and targets & done:
                done.add(sid)
                changed = True
    assert done == set(edges), f"no way to finish from: {sorted(set(edges) - done)}"


def test_first_step_has_no_back_button(content: Content) -> None:
    for flow_id in FIXED_IDS:
        out = enter(content.flows, flow_id, None, now_iso=NOW)
        assert out is not None
        assert "c-back" not in [b.payload for b in out.reply.buttons]
        assert out.reply.text.startswith("Bước 1/")


@pytest.mark.parametrize("flow_id", sorted(FIXED_IDS))
def test_deep_link_to_every_step(content: Content, flow_id: str) -> None:
    flow = content.flows.get(flow_id)
    assert flow is not None
    for step in flow.steps:
        payload = f"f-{flow_id}-{step.id}"
        assert is_valid_payload(payload) and len(payload) <= BASE_MAX
        p = parse(payload)
        assert p is not None and p.args == (flow_id, step.id)
        out = enter(content.flows, flow_id, step.id, now_iso=NOW)
        assert out is not None and out.ref == f"{flow_id}/{step.id}"


@pytest.mark.parametrize("flow_id", sorted(FIXED_IDS))
def test_codes_come_with_a_warning(content: Content, flow_id: str) -> None:
    """Wherever OTP, passcode or password come up, the flow warns never to give them to anyone."""
    flow = content.flows.get(flow_id)
    assert flow is not None
    texts = [s.text for s in flow.steps]
    mentions = any(re.search(r"\b(OTP|passcode|mật khẩu)\b", t) for t in texts)
    warns = any("⚠️" in t and re.search(r"(không|đừng) (đưa|đọc|nói)", t, re.IGNORECASE) for t in texts)
    assert warns or not mentions


def test_scam_flow_reports_to_official_numbers(content: Content) -> None:
    flow = content.flows.get("scam")
    assert flow is not None
    everything = "\n".join(s.text for s in flow.steps)
    for needle in ("5656", "156", "thongbaorac.ais.gov.vn", "Công an cấp xã"):
        assert needle in everything


def test_l2_branches_on_card_and_smartphone(content: Content) -> None:
    flow = content.flows.get("l2")
    assert flow is not None
    labels = {c.label for s in flow.steps for c in s.choices}
    assert {"Có, thẻ còn hạn", "Chưa có hoặc hết hạn", "Chưa có điện thoại"} <= labels
    assert any("Công an cấp xã" in s.text for s in flow.steps)
    assert any(s.checklist for s in flow.steps)


def test_install_branches_on_phone_kind(content: Content) -> None:
    out = enter(content.flows, "install", None, now_iso=NOW)
    assert out is not None
    assert {"iPhone", "Android"} <= {b.label for b in out.reply.buttons}


@pytest.mark.parametrize(
    "text",
    [
        "Đến Công an quận Ba Đình",
        "Công an huyện nơi cư trú",
        "gọi 0912345678",
        "gọi 1900 1234",
        "xem https://vneid.gov.vn",
        "xem vneid-gov.com",
        "tổng đài 113",
        "Cafe".replace("Cafe", "Cafe\u0301"),
    ],
)
def test_text_checks_catch_problems(text: str) -> None:
    assert text_problems(text) != []


@pytest.mark.parametrize(
    "text",
    [
        "Gọi 1900 0368 hoặc 1800 1096; nhắn 5656 hoặc 156; vào dichvucong.gov.vn, vneid.gov.vn.",
        "Lệ phí 15.000 đồng đến 31/12/2026 (Thông tư 64/2025/TT-BTC), năm 2022, 03 ngày, 8–20 ký tự.",
        "thủ tục 1.013833; Nghị quyết 66.22/2026/NQ-CP; cập nhật 11/2026",
    ],
)
def test_text_checks_accept_allowed_text(text: str) -> None:
    assert text_problems(text) == []
