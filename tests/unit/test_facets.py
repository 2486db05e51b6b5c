"""Services facet by facet: the schema, the shipped content, validity windows, rendering and payloads."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.core.payloads import BASE_MAX, parse, with_referral
from bot.core.types import is_valid_payload
from flows.catalogue import Catalogue
from flows.facets import (
    CARD_BUTTON_LABEL,
    FACET_BUTTONS_MAX,
    GUIDE_BUTTON_LABEL,
    HEDGE_LINE,
    available_facets,
    available_situations,
    facet_labels,
    facet_payload,
    render_facet,
    short_source,
)
from flows.loader import load_catalogue_dir, load_flows_dir
from flows.schema import FACET_KEYS, FACET_TEXT_MAX, Service
from tests.unit.test_flows_graph import CATALOGUE_DIR, FLOWS_DIR

#: A day of the newest content's review; no facet may claim a later day than this or the machine's date, whichever is later.
TODAY = dt.date(2026, 12, 4)
#: Days that cross the fee windows of the content (50% cut ends 31/12/2026, NQ 66.22 ends 28/02/2027).
DAYS = (TODAY, dt.date(2027, 1, 15), dt.date(2027, 3, 5))
SOURCE_LINE_RE = re.compile(r"Nguồn: .{3,} \(cập nhật \d{2}/\d{2}/\d{4}\)$")


@pytest.fixture(scope="module")
def services() -> tuple[Service, ...]:
    loaded = load_catalogue_dir(CATALOGUE_DIR)
    assert loaded.errors == (), [str(e) for e in loaded.errors]
    return loaded.items


def _service(**extra: Any) -> Service:
    base: dict[str, Any] = {
        "id": "demo",
        "number": 3,
        "name": "Đăng ký thử nghiệm",
        "title": "Thử nghiệm",
        "summary": "Một dịch vụ để kiểm thử các khía cạnh.",
        "sector": "cu_tru",
        "body": "Bộ Công an",
        "channels": ["portal"],
        "source": "nguồn thử",
        "reviewed": "2026-12-01",
    }
    return Service.model_validate({**base, **extra})


def _facet(text: str = "Lệ phí là 10.000 đồng.", **extra: Any) -> dict[str, Any]:
    return {"text": text, "source": "Thông tư thử", "reviewed": "2026-12-01", **extra}


# -- the shipped content ------------------------------------------------------------------------


def test_every_facet_and_situation_is_sourced_reviewed_and_short(services: tuple[Service, ...]) -> None:
    filled = 0
    for svc in services:
        items = [*svc.facets.values(), *svc.facet_versions, *svc.situations]
        for item in items:
            where = f"{svc.id}: {item.text[:40]!r}"
            assert len(item.source.strip()) >= 3, where
            assert dt.date(2026, 1, 1) <= item.reviewed <= max(TODAY, dt.date.today()), where
            assert len(item.text) <= FACET_TEXT_MAX, where
            # Money as "70.000 đồng", never "70k" or "70.000đ" (content-style rule 7).
            assert not re.search(r"\d\s?(k|đ)\b", item.text), where
        filled += len(items)
    assert filled >= 120


def test_no_district_police_and_no_thi_tran(services: tuple[Service, ...]) -> None:
    """After 01/03/2025 there is no district police, after 01/07/2025 no district level at all."""
    for svc in services:
        for item in (*svc.facets.values(), *svc.facet_versions, *svc.situations):
            low = item.text.lower()
            assert "quận/huyện" not in low and "thị trấn" not in low, svc.id
            assert not re.search(r"công an (cấp )?(quận|huyện)(?! đã ngừng)", low), (svc.id, item.text)


def test_priority_services_have_their_facets(services: tuple[Service, ...]) -> None:
    by_id = {s.id: s for s in services}
    death = by_id["death_reg"]
    assert {"who", "in_person", "documents", "online"} <= set(death.facets)
    assert "Giấy báo tử" in death.facets["documents"].text
    assert "cư trú cuối cùng" in death.facets["in_person"].text
    lost = next(s for s in death.situations if s.kind == "lost")
    assert "bản sao trích lục" in lost.text and "không đăng ký lại" in lost.text
    birth = by_id["birth_reg"]
    assert {s.kind for s in birth.situations} >= {"lost", "late"}
    late = next(s for s in birth.situations if s.kind == "late")
    assert late.uncertain and "phạt" in late.text  # the fine is hedged, never threatened
    card = by_id["id_card"]
    fee = card.facet_on("fee", TODAY)
    assert fee is not None and "14, 25, 40, 60 tuổi" in fee.text and "25.000 đồng" in fee.text


def test_card_fee_follows_the_dates(services: tuple[Service, ...]) -> None:
    """The 50% cut ends 31/12/2026; from 01/01/2027 the full fee, with the «công dân số» waiver to 28/02/2027."""
    card = next(s for s in services if s.id == "id_card")
    texts = {day: card.facet_on("fee", day) for day in (TODAY, dt.date(2026, 12, 31), dt.date(2027, 1, 1),
                                                        dt.date(2027, 2, 28), dt.date(2027, 3, 1))}
    assert all(t is not None for t in texts.values())
    assert "25.000 đồng" in texts[dt.date(2026, 12, 31)].text  # type: ignore[union-attr]
    assert "50.000 đồng" in texts[dt.date(2027, 1, 1)].text and "28/02/2027" in texts[dt.date(2027, 1, 1)].text  # type: ignore[union-attr]
    assert "Công dân số" not in texts[dt.date(2027, 3, 1)].text  # type: ignore[union-attr]


def test_every_facet_renders_with_at_most_three_facet_buttons_and_no_duplicate(services: tuple[Service, ...]) -> None:
    flows = {f.id for f in load_flows_dir(FLOWS_DIR).items}
    label_set = set(facet_labels.values())
    for svc in services:
        for day in DAYS:
            keys: list[str] = [*available_facets(svc, day), *(s.id for s in available_situations(svc, day))]
            for key in keys:
                answer = render_facet(svc, key, day)
                assert answer is not None, (svc.id, key, day)
                labels = [b.label for b in answer.buttons]
                assert len(labels) == len(set(labels)), (svc.id, key, labels)
                assert sum(lbl in label_set for lbl in labels) <= FACET_BUTTONS_MAX
                assert CARD_BUTTON_LABEL in labels
                assert (GUIDE_BUTTON_LABEL in labels) == (svc.flow is not None)
                for b in answer.buttons:
                    assert is_valid_payload(b.payload) and len(b.payload) <= BASE_MAX
                    p = parse(b.payload)
                    assert p is not None
                    if p.kind == "f":
                        assert p.args[0] in flows
                    if p.kind == "sf":
                        assert p.args[0] == svc.id and p.args[1] in svc.facets.keys() | {
                            v.key for v in svc.facet_versions}
                assert SOURCE_LINE_RE.search(answer.text), answer.text
                # About one phone screen (content-style: under about 700 characters, plus the source line).
                assert len(answer.text) <= 800, (svc.id, key, len(answer.text))
                assert "http" not in answer.text, (svc.id, key)


# -- rendering ----------------------------------------------------------------------------------------


def test_render_answers_the_facet_first_with_source_and_date() -> None:
    svc = _service(flow="portal", facets={
        "fee": _facet("Lệ phí nộp trực tuyến là 10.000 đồng."),
        "time": _facet("Không quá 07 ngày làm việc.", uncertain=True),
        "who": _facet("Công dân có nơi ở hợp pháp."),
        "documents": _facet("Tờ khai và giấy tờ chứng minh chỗ ở."),
        "online": _facet("Trên VNeID hoặc Cổng Dịch vụ công."),
    })
    answer = render_facet(svc, "fee", TODAY)
    assert answer is not None and not answer.uncertain
    lines = answer.text.splitlines()
    assert lines[0] == "Lệ phí nộp trực tuyến là 10.000 đồng."
    assert lines[-1] == "Nguồn: Thông tư thử (cập nhật 01/12/2026)"
    assert HEDGE_LINE not in answer.text
    labels = [b.label for b in answer.buttons]
    # fee → documents, time, online first; never the facet itself.
    assert labels[:3] == [facet_labels["documents"], facet_labels["time"], facet_labels["online"]]
    assert facet_labels["fee"] not in labels
    assert labels[3:] == [CARD_BUTTON_LABEL, GUIDE_BUTTON_LABEL, "Về menu chính"]
    assert [b.payload for b in answer.buttons[:4]] == ["sf-demo-documents", "sf-demo-time", "sf-demo-online", "s-demo"]
    hedged = render_facet(svc, "time", TODAY)
    assert hedged is not None and hedged.uncertain
    assert hedged.text.index(HEDGE_LINE) < hedged.text.index("Nguồn:")


def test_sources_show_the_site_not_the_whole_address() -> None:
    assert short_source("Luật Cư trú 2020 (http://hethongphapluat.com/luat/dieu-20; luatvietnam.vn)") == (
        "Luật Cư trú 2020 (hethongphapluat.com; luatvietnam.vn)")
    assert short_source("Báo (https://www.thanhnien.vn/a-b-185.htm); Nghị định 63/2024") == (
        "Báo (thanhnien.vn); Nghị định 63/2024")
    svc = _service(facets={"fee": _facet(source="Trang (https://dichvucong.gov.vn/p/home/x.html?id=1)")})
    answer = render_facet(svc, "fee", TODAY)
    assert answer is not None and answer.text.endswith("Nguồn: Trang (dichvucong.gov.vn) (cập nhật 01/12/2026)")


def test_render_a_situation_and_unknown_keys() -> None:
    svc = _service(
        facets={"documents": _facet("Giấy tờ cần có.")},
        situations=[{"id": "lost_paper", "kind": "lost", "label": "Mất giấy", "triggers": ["mất giấy"],
                     **_facet("Xin bản sao trích lục, không đăng ký lại.")}],
    )
    answer = render_facet(svc, "lost_paper", TODAY)
    assert answer is not None and answer.text.startswith("Xin bản sao trích lục")
    assert [b.label for b in answer.buttons] == [facet_labels["documents"], CARD_BUTTON_LABEL, "Về menu chính"]
    assert render_facet(svc, "fee", TODAY) is None  # not given
    assert render_facet(svc, "nothing", TODAY) is None
    assert facet_payload("demo", "lost_paper") == "sf-demo-lost_paper"


def test_expired_or_future_items_are_never_served() -> None:
    svc = _service(
        facets={
            "fee": _facet("Giảm 50% đến hết 31/12/2026.", valid_until="2026-12-31"),
            "time": _facet("Từ năm sau: 05 ngày.", valid_from="2027-01-01"),
        },
        facet_versions=[{"key": "fee", **_facet("Mức đầy đủ từ 01/01/2027.", valid_from="2027-01-01")}],
        situations=[{"id": "late", "kind": "late", "label": "Làm muộn", "triggers": ["làm muộn"],
                     **_facet("Chỉ đến hết năm 2026.", valid_until="2026-12-31")}],
    )
    assert available_facets(svc, TODAY) == ["fee"]
    assert render_facet(svc, "time", TODAY) is None
    assert [s.id for s in available_situations(svc, TODAY)] == ["late"]
    later = dt.date(2027, 1, 1)
    assert available_facets(svc, later) == ["fee", "time"]
    fee = render_facet(svc, "fee", later)
    assert fee is not None and fee.text.startswith("Mức đầy đủ")
    assert render_facet(svc, "late", later) is None
    assert available_situations(svc, later) == []


# -- schema: what a broken facet looks like --------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"facets": {"price": _facet()}}, "facets.price"),
        ({"facets": {"fee": {"text": "Không có nguồn.", "reviewed": "2026-12-01"}}}, "source"),
        ({"facets": {"fee": {"text": "Không có ngày.", "source": "nguồn"}}}, "reviewed"),
        ({"facets": {"fee": _facet("x" * (FACET_TEXT_MAX + 1))}}, "600"),
        ({"facets": {"fee": _facet(valid_from="2027-01-01", valid_until="2026-01-01")}}, "valid_from"),
        ({"situations": [{"id": "Bad-Id", "kind": "lost", "label": "Mất", "triggers": ["mất"], **_facet()}]},
         "situation id"),
        ({"situations": [{"id": "lost", "kind": "stolen", "label": "Mất giấy", "triggers": ["mất"], **_facet()}]},
         "kind"),
        ({"situations": [{"id": "lost", "kind": "lost", "label": "Mất giấy", "triggers": [], **_facet()}]},
         "triggers"),
        ({"situations": [{"id": "fee", "kind": "other", "label": "Lệ phí", "triggers": ["phí"], **_facet()}]},
         "facet name"),
        ({"situations": [{"id": "a1", "kind": "lost", "label": "Mất giấy", "triggers": ["mất"], **_facet()},
                         {"id": "a1", "kind": "late", "label": "Làm muộn", "triggers": ["muộn"], **_facet()}]},
         "duplicate situation id"),
        ({"situations": [{"id": "a1", "kind": "lost", "label": "x" * 41, "triggers": ["mất"], **_facet()}]},
         "label"),
        ({"facets": {"fee": _facet(valid_until="2026-12-31")},
          "facet_versions": [{"key": "fee", **_facet(valid_from="2026-12-01")}]}, "same day"),
    ],
)
def test_schema_refuses_broken_facets(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        _service(**extra)
    assert message in str(err.value), str(err.value)


def test_back_to_back_versions_are_accepted() -> None:
    svc = _service(facets={"fee": _facet(valid_until="2026-12-31")},
                   facet_versions=[{"key": "fee", **_facet(valid_from="2027-01-01", valid_until="2027-02-28")},
                                   {"key": "fee", **_facet(valid_from="2027-03-01")},
                                   {"key": "time", **_facet(valid_from="2027-03-01")}])
    assert svc.facet_on("fee", dt.date(2027, 3, 1)) is svc.facet_versions[1]


def test_a_broken_facet_file_is_rejected_naming_the_file_and_entry(tmp_path: Path) -> None:
    good = (CATALOGUE_DIR / "taxonomy.yaml").read_text(encoding="utf-8")
    (tmp_path / "taxonomy.yaml").write_text(good, encoding="utf-8")
    (tmp_path / "broken.yaml").write_text(textwrap.dedent("""\
        services:
          - id: demo_broken
            number: 3
            name: Đăng ký thử nghiệm
            title: Thử nghiệm
            summary: Một dịch vụ để kiểm thử các khía cạnh.
            sector: cu_tru
            body: Bộ Công an
            channels: [portal]
            source: nguồn thử
            reviewed: 2026-12-01
            facets:
              fee:
                text: Lệ phí không có nguồn.
                reviewed: 2026-12-01
        """), encoding="utf-8")
    loaded = load_catalogue_dir(tmp_path)
    assert loaded.items == ()
    assert loaded.errors
    err = loaded.errors[0]
    assert err.file.endswith("broken.yaml") and err.entry_id == "demo_broken"
    assert "facets.fee.source" in str(err)


# -- payloads ---------------------------------------------------------------------------------------------


def test_facet_payloads_round_trip() -> None:
    p = parse("sf-death_reg-documents")
    assert p is not None and p.kind == "sf" and p.args == ("death_reg", "documents") and p.referral is None
    ref = parse(with_referral("sf-death_reg-lost_certificate", "AbCd1234"))
    assert ref is not None and ref.args == ("death_reg", "lost_certificate") and ref.referral == "AbCd1234"
    for bad in ("sf", "sf-death_reg", "sf-a-b-c"):
        assert parse(bad) is None, bad
    longest = facet_payload("x" * 30, "y" * 20)
    assert len(longest) == BASE_MAX and is_valid_payload(with_referral(longest, "AbCd1234"))
    assert set(FACET_KEYS) == set(facet_labels)
    assert all(len(lbl) <= 24 for lbl in facet_labels.values())


def test_catalogue_keeps_facets(services: tuple[Service, ...]) -> None:
    cat = Catalogue.build(services, (), ())
    death = cat.get("death_reg")
    assert death is not None and death.facets and death.situations
