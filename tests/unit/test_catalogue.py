"""The services catalogue: the 25 services of Đề án 06, browsing, cards, dated fees, loader errors."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from bot.core.payloads import BASE_MAX, parse
from bot.core.types import Reply, is_valid_payload
from faq.loader import load_faq_dir
from flows.catalogue import (
    CARD_FACET_BUTTONS_MAX,
    CARD_MAX,
    Catalogue,
    browse_root,
    by_life_event,
    by_sector,
    service_card,
    service_index_docs,
)
from flows.loader import load_catalogue_dir, load_flows_dir, load_life_events, load_sectors, load_taxonomy
from flows.schema import FACET_KEYS
from tests.unit.test_flows_graph import CATALOGUE_DIR, FAQ_DIR, FLOWS_DIR, text_problems

TODAY = dt.date(2026, 11, 23)

#: Đề án 06's 25 essential services, numbered and named as in the published list (domain facts §1.1).
DE_AN_06 = {
    1: "Xác nhận số CMND khi đã được cấp thẻ CCCD",
    2: "Cấp lại, đổi thẻ CCCD",
    3: "Đăng ký thường trú",
    4: "Đăng ký tạm trú",
    5: "Khai báo tạm vắng",
    6: "Thông báo lưu trú",
    7: "Đăng ký, cấp biển số mô tô, xe gắn máy",
    8: "Nộp phạt vi phạm giao thông đường bộ phát hiện qua thiết bị ghi hình",
    9: "Đăng ký khai sinh",
    10: "Đăng ký khai tử",
    11: "Đăng ký kết hôn",
    12: "Cấp, cấp lại, sửa đổi, bổ sung hộ chiếu phổ thông",
    13: "Làm con dấu mới, cấp giấy chứng nhận đăng ký mẫu dấu",
    14: "Làm con dấu thu nhỏ, dấu nổi, dấu xi, cấp giấy chứng nhận đăng ký mẫu dấu",
    15: "Liên thông: Đăng ký khai sinh – Đăng ký thường trú – Cấp thẻ BHYT cho trẻ dưới 6 tuổi",
    16: "Liên thông: Đăng ký khai tử – Xóa đăng ký thường trú – Trợ cấp mai táng phí",
    17: "Tích hợp tính giảm trừ mức đóng khi gia hạn thẻ BHYT theo hộ gia đình",
    18: "Đăng ký thuế lần đầu; thay đổi thông tin đăng ký thuế của hộ gia đình, cá nhân",
    19: (
        "Đăng ký biến động quyền sử dụng đất, tài sản gắn liền với đất khi thay đổi thông tin "
        "người được cấp giấy chứng nhận"
    ),
    20: "Cấp đổi, cấp lại giấy phép lái xe",
    21: "Đăng ký dự thi tốt nghiệp THPT và xét tuyển đại học, cao đẳng",
    22: "Cấp Phiếu lý lịch tư pháp",
    23: "Giải quyết hưởng trợ cấp thất nghiệp",
    24: "Cấp điện mới từ lưới điện hạ áp",
    25: "Thay đổi chủ thể hợp đồng mua bán điện",
}
#: Bộ Công an handles 1–8, 12, 13, 14, 20, 22 (13 services); the commune 9, 10, 11, 15, 16, 19.
POLICE = {1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 20, 22}
COMMUNE = {9, 10, 11, 15, 16, 19}


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    """The shipped catalogue."""
    services = load_catalogue_dir(CATALOGUE_DIR)
    assert services.errors == (), [str(e) for e in services.errors]
    tax = load_taxonomy(CATALOGUE_DIR)
    assert tax.errors == ()
    faq = load_faq_dir(FAQ_DIR)
    return Catalogue.build(services.items, tax.life_events, tax.sectors, faq_titles={e.id: e.title for e in faq.items})


@pytest.fixture(scope="module")
def known_payload_targets() -> dict[str, set[str]]:
    """Ids that ``f-``, ``q-`` payloads may name."""
    return {
        "f": {f.id for f in load_flows_dir(FLOWS_DIR).items},
        "q": {e.id for e in load_faq_dir(FAQ_DIR).items},
    }


def check_reply(reply: Reply, cat: Catalogue, targets: dict[str, set[str]]) -> None:
    """Every button payload is valid and leads to something that exists."""
    assert text_problems(reply.text) == [], text_problems(reply.text)
    assert reply.buttons
    for b in reply.buttons:
        assert is_valid_payload(b.payload) and len(b.payload) <= BASE_MAX, b
        assert len(b.label) <= 30, b
        p = parse(b.payload)
        assert p is not None, b
        if p.kind == "s":
            assert cat.get(p.args[0]) is not None, b
        elif p.kind == "ev":
            assert by_life_event(cat, p.args[0]) is not None, b
        elif p.kind == "sec":
            assert by_sector(cat, p.args[0]) is not None, b
        elif p.kind in ("f", "q"):
            assert p.args[0] in targets[p.kind], b
        elif p.kind == "sf":
            svc = cat.get(p.args[0])
            assert svc is not None, b
            key = p.args[1]
            assert key in svc.facets or any(v.key == key for v in svc.facet_versions) \
                or svc.situation(key) is not None, b
        else:
            assert p.kind in ("cat", "menu"), b


def test_exactly_the_25_services_of_de_an_06(cat: Catalogue) -> None:
    assert len(cat.services) == 25
    assert {s.number: s.name for s in cat.services} == DE_AN_06
    assert [s.number for s in cat.services] == list(range(1, 26))
    assert {s.group for s in cat.services} == {"de_an_06"}  # none of QĐ 422's 28 is invented
    for s in cat.services:
        assert s.source.strip() and s.reviewed >= dt.date(2026, 1, 1), s.id
        assert s.legal_basis, s.id
        assert "portal" in s.channels, s.id


def test_responsible_bodies_follow_the_published_split(cat: Catalogue) -> None:
    by_number = {s.number: s for s in cat.services}
    assert {n for n, s in by_number.items() if s.body.startswith("Bộ Công an")} == POLICE
    assert {n for n, s in by_number.items() if s.body.startswith("Cấp xã")} == COMMUNE


def test_browse_root_is_honest_about_coverage(cat: Catalogue, known_payload_targets: dict[str, set[str]]) -> None:
    root = browse_root(cat)
    check_reply(root, cat, known_payload_targets)
    assert "25" in root.text and "53" in root.text and "dichvucong.gov.vn" in root.text
    assert "sec-all" in [b.payload for b in root.buttons]
    required = {"co_con", "ket_hon", "nguoi_mat", "chuyen_cho", "xe", "giay_to", "dat_dai", "thue", "dien", "viec_lam"}
    assert {parse(b.payload).args[0] for b in root.buttons if b.payload.startswith("ev-")} == required  # type: ignore[union-attr]


def test_every_life_event_and_sector_lists_services_with_valid_cards(
    cat: Catalogue, known_payload_targets: dict[str, set[str]]
) -> None:
    listed: set[str] = set()
    replies = [by_life_event(cat, e.id) for e in cat.life_events] + [by_sector(cat, s.id) for s in cat.sectors]
    sectors = by_sector(cat, "all")
    assert sectors is not None
    replies.append(sectors)
    for reply in replies:
        assert reply is not None
        check_reply(reply, cat, known_payload_targets)
        for b in reply.buttons:
            if b.payload.startswith("s-"):
                listed.add(b.payload[2:])
    assert listed == {s.id for s in cat.services}  # every service can be reached by browsing
    assert {s.sector for s in cat.services} == {s.id for s in cat.sectors}


@pytest.mark.parametrize("day", [TODAY, dt.date(2027, 1, 15), dt.date(2027, 6, 1), None])
def test_every_card_fits_and_links_work(
    cat: Catalogue, known_payload_targets: dict[str, set[str]], day: dt.date | None
) -> None:
    for s in cat.services:
        card = service_card(cat, s.id, today=day)
        assert card is not None
        assert len(card.text) <= CARD_MAX, (s.id, len(card.text))
        assert card.text.startswith(s.name)
        assert "Nguồn: " in card.text
        check_reply(card, cat, known_payload_targets)
        payloads = [b.payload for b in card.buttons]
        assert "cat" in payloads and "menu" in payloads
        if s.flow:
            assert f"f-{s.flow}" in payloads


def test_unknown_ids_give_none(cat: Catalogue) -> None:
    assert service_card(cat, "nope") is None
    assert by_life_event(cat, "nope") is None
    assert by_sector(cat, "nope") is None
    assert cat.get("nope") is None


def test_dated_fees_are_shown_only_inside_their_window(cat: Catalogue) -> None:
    def card(day: dt.date | None) -> str:
        reply = service_card(cat, "id_card", today=day)
        assert reply is not None
        return reply.text

    now = card(TODAY)
    assert "15.000 đồng" in now and "30.000 đồng" not in now and "Công dân số" in now
    after_discount = card(dt.date(2027, 1, 15))
    assert "30.000 đồng" in after_discount and "15.000 đồng" not in after_discount
    assert "Công dân số" in after_discount
    later = card(dt.date(2027, 3, 1))
    assert "Công dân số" not in later and "30.000 đồng" in later
    undated = card(None)  # without a date, no dated fee is served
    assert "15.000 đồng" not in undated and "30.000 đồng" not in undated
    assert "07 ngày làm việc" in undated
    residence = service_card(cat, "perm_residence", today=dt.date(2027, 3, 1))
    assert residence is not None and "Công dân số" not in residence.text and "10.000 đồng" in residence.text


def test_every_dated_fee_has_an_end_or_a_start(cat: Catalogue) -> None:
    dated = [f for s in cat.services for f in s.fees if f.valid_from or f.valid_until]
    assert dated
    for f in dated:
        if "đến" in f.text and f.valid_until is None:
            pytest.fail(f"fee mentions an end but has no valid_until: {f.text}")


def test_list_filters(cat: Catalogue) -> None:
    assert [s.id for s in cat.list(sector="cu_tru")] == ["perm_residence", "temp_residence", "temp_absence", "stay_notice"]
    assert {s.id for s in cat.list(life_event="nguoi_mat")} == {"death_reg", "death_bundle"}
    assert [s.id for s in cat.list(sector="cu_tru", life_event="ket_hon")] == ["perm_residence"]
    assert cat.list(sector="nope") == ()
    assert len(cat.list()) == 25


def test_service_index_docs(cat: Catalogue) -> None:
    docs = service_index_docs(cat)
    assert len(docs) == 25
    passport = next(d for d in docs if d.key == "service:passport")
    assert passport.kind == "service"
    assert passport.phrasings[0] == DE_AN_06[12]
    assert any("hộ chiếu" in p for p in passport.phrasings[1:])
    fine = next(d for d in docs if d.key == "service:traffic_fine")
    assert any("phạt nguội" in p for p in fine.phrasings)


def test_catalogue_text_follows_house_rules(cat: Catalogue) -> None:
    for s in cat.services:
        for text in (s.name, s.title, s.summary, s.body, s.where_note or "", s.source, *s.legal_basis, *s.keywords):
            assert text_problems(text) == [], (s.id, text, text_problems(text))
        for f in s.fees:
            assert text_problems(f.text) == [], (s.id, f.text)
    for e in cat.life_events:
        assert text_problems(e.intro) == []
    for sec in cat.sectors:
        assert text_problems(sec.intro) == []


def test_links_from_services_exist(cat: Catalogue, known_payload_targets: dict[str, set[str]]) -> None:
    result = load_catalogue_dir(CATALOGUE_DIR, known_flows=known_payload_targets["f"], known_faq=known_payload_targets["q"])
    assert result.errors == (), [str(e) for e in result.errors]


# --- Loader errors --------------------------------------------------------------------------------

TAXONOMY = """\
life_events:
  - {id: co_con, title: Có con nhỏ, intro: "khai sinh cho con."}
sectors:
  - {id: ho_tich, title: Hộ tịch, intro: "khai sinh, khai tử."}
"""


def service_yaml(sid: str, number: int, *, sector: str = "ho_tich", events: str = "[co_con]") -> str:
    """One valid service entry (YAML list item)."""
    return textwrap.dedent(
        f"""\
          - id: {sid}
            number: {number}
            name: Dịch vụ thử số {number}
            title: Dịch vụ {number}
            summary: Một dịch vụ để kiểm thử.
            sector: {sector}
            body: Cấp xã
            life_events: {events}
            channels: [portal]
            source: kiểm thử
            reviewed: 2026-11-23
        """
    )


def write(directory: Path, name: str, text: str) -> None:
    """Write one file."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text, "utf-8")


def test_loader_reads_taxonomy_and_services(tmp_path: Path) -> None:
    write(tmp_path, "taxonomy.yaml", TAXONOMY)
    write(tmp_path, "a.yaml", "services:\n" + service_yaml("one", 1))
    assert [s.id for s in load_catalogue_dir(tmp_path).items] == ["one"]
    assert [e.id for e in load_life_events(tmp_path).items] == ["co_con"]
    assert [s.id for s in load_sectors(tmp_path).items] == ["ho_tich"]


def test_unknown_sector_or_life_event_skips_the_file(tmp_path: Path) -> None:
    write(tmp_path, "taxonomy.yaml", TAXONOMY)
    write(tmp_path, "a.yaml", "services:\n" + service_yaml("one", 1, sector="nowhere"))
    write(tmp_path, "b.yaml", "services:\n" + service_yaml("two", 2, events="[ghost]"))
    write(tmp_path, "c.yaml", "services:\n" + service_yaml("three", 3))
    result = load_catalogue_dir(tmp_path)
    assert [s.id for s in result.items] == ["three"]
    errors = {(e.file.rsplit("/", 1)[-1], e.entry_id) for e in result.errors}
    assert errors == {("a.yaml", "one"), ("b.yaml", "two")}
    assert any("unknown sector 'nowhere'" in e.message for e in result.errors)
    assert any("unknown life event 'ghost'" in e.message for e in result.errors)


def test_duplicate_id_or_number_rejects_the_later_file(tmp_path: Path) -> None:
    write(tmp_path, "taxonomy.yaml", TAXONOMY)
    write(tmp_path, "a.yaml", "services:\n" + service_yaml("one", 1))
    write(tmp_path, "b.yaml", "services:\n" + service_yaml("one", 2))
    write(tmp_path, "c.yaml", "services:\n" + service_yaml("other", 1))
    result = load_catalogue_dir(tmp_path)
    assert [s.id for s in result.items] == ["one"]
    assert {e.file.rsplit("/", 1)[-1] for e in result.errors} == {"b.yaml", "c.yaml"}


def test_schema_error_names_the_service(tmp_path: Path) -> None:
    write(tmp_path, "taxonomy.yaml", TAXONOMY)
    write(tmp_path, "a.yaml", "services:\n" + service_yaml("one", 1).replace("  source: kiểm thử\n", ""))
    result = load_catalogue_dir(tmp_path)
    assert result.items == ()
    assert [(e.entry_id, "source" in e.message) for e in result.errors] == [("one", True)]


def test_number_out_of_range_is_rejected(tmp_path: Path) -> None:
    write(tmp_path, "taxonomy.yaml", TAXONOMY)
    write(tmp_path, "a.yaml", "services:\n" + service_yaml("one", 26))
    assert load_catalogue_dir(tmp_path).errors


def test_broken_taxonomy_is_reported_and_services_still_load(tmp_path: Path) -> None:
    write(tmp_path, "taxonomy.yaml", "life_events: [\n")
    write(tmp_path, "a.yaml", "services:\n" + service_yaml("one", 1))
    assert [s.id for s in load_catalogue_dir(tmp_path).items] == ["one"]
    assert load_life_events(tmp_path).items == () and load_life_events(tmp_path).errors
    assert load_sectors(tmp_path).items == () and load_sectors(tmp_path).errors


def test_reserved_sector_id(tmp_path: Path) -> None:
    write(tmp_path, "taxonomy.yaml", TAXONOMY.replace("id: ho_tich", "id: all"))
    assert load_taxonomy(tmp_path).errors


@pytest.mark.parametrize("day", [TODAY, dt.date(2027, 3, 1)])
def test_a_card_offers_the_facets_asked_next(cat: Catalogue, day: dt.date) -> None:
    """At most three facet buttons, valid on the day, never two buttons with one label; the
    guide, catalogue and menu buttons stay."""
    offered = 0
    for s in cat.services:
        card = service_card(cat, s.id, today=day)
        assert card is not None
        facets = [b for b in card.buttons if b.payload.startswith(f"sf-{s.id}-")]
        assert len(facets) <= CARD_FACET_BUTTONS_MAX
        valid = {f"sf-{s.id}-{k}" for k in FACET_KEYS if s.facet_on(k, day) is not None}
        assert {b.payload for b in facets} <= valid, s.id
        labels = [" ".join(b.label.lower().split()) for b in card.buttons]
        assert len(labels) == len(set(labels)), (s.id, labels)
        payloads = [b.payload for b in card.buttons]
        assert payloads[-2:] == ["cat", "menu"]
        offered += bool(facets)
    assert offered >= 20, "most services have facets to offer"
    card = service_card(cat, "id_card", today=day)
    assert card is not None
    assert [b.label for b in card.buttons if b.payload.startswith("sf-")][:1] == ["Lệ phí"]


def test_a_card_without_a_day_offers_no_dated_facet(cat: Catalogue) -> None:
    card = service_card(cat, "id_card")
    assert card is not None and not any(b.payload.startswith("sf-") for b in card.buttons)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("Bạn làm khai sinh kết hợp nhận cha con ở Ủy ban nhân dân cấp xã nơi cư trú.", True),
        ("Gửi đề nghị trên VNeID hoặc đến Công an cấp xã.", True),
        ("Hộ chiếu của trẻ dưới 14 tuổi có giá trị không quá 5 năm và không được gia hạn.", False),
        ("Mang theo công văn và giấy tờ tùy thân.", False),  # «công văn» is no office
    ],
)
def test_says_where(text: str, where: bool) -> None:
    from flows.catalogue import says_where

    assert says_where(text) is where
