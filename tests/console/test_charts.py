"""The chart helpers: pygal SVG with Vietnamese labels, no script, nothing outside the document."""

from __future__ import annotations

import datetime as dt
import re
from xml.etree import ElementTree

import pytest

from api.console.charts import SVG_CSP, Series, bar_chart, day_label, line_chart, svg_response, vn_number


def _external(svg: str) -> list[str]:
    return [u for u in re.findall(r"https?://[^\"'\s<>]+", svg) if u != "http://www.w3.org/2000/svg"]


def test_vietnamese_numbers_and_days() -> None:
    assert [vn_number(v) for v in (0, 7, 1234, 1234567, 2.5, 1234.25, None)] == [
        "0", "7", "1.234", "1.234.567", "2,5", "1.234,2", ""]
    assert day_label(dt.date(2026, 12, 2)) == "02/12"
    assert day_label(dt.date(2026, 1, 9), year=True) == "09/01/2026"


def test_a_line_chart_carries_its_values_and_nothing_else() -> None:
    svg = line_chart("Tiến độ của tổ", ["01/12", "02/12", "03/12"],
                     [Series("Người tiếp cận", [1, 4, 1500]), Series("Hoàn thành", [0, None, 2])], x_title="Ngày")
    root = ElementTree.fromstring(svg)  # well-formed
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("role") == "img"
    first, second = list(root)[:2]
    assert first.tag.endswith("title") and first.text == "Tiến độ của tổ"
    assert second.tag.endswith("desc") and second.text == (
        "Người tiếp cận: 01/12 1, 02/12 4, 03/12 1.500; Hoàn thành: 01/12 0, 03/12 2")
    assert re.findall(r'<desc class="value">([^<]*)</desc>', svg) == ["1", "4", "1.500", "0", "2"]
    assert "<script" not in svg and "<!--" not in svg and _external(svg) == []
    assert "Người tiếp cận" in svg and ">Ngày<" in svg
    # Whole-number ticks for counts: no 0.5 people on the axis.
    few = line_chart("T", ["01/12", "02/12", "03/12"], [Series("A", [1, 4, 7])])
    ticks = re.findall(r'<text[^>]*class="major"[^>]*>([^<]*)</text>', few)
    assert ticks == ["0", "2", "4", "6", "8", "01/12", "02/12", "03/12"]


def test_bars_empty_charts_and_bad_series() -> None:
    svg = bar_chart("Theo tổ", ["Tổ 1", "Tổ 2"], [Series("Tiếp cận", [3, 5]), Series("Trực tiếp", [1, 0])],
                    stacked=True)
    assert re.findall(r'<desc class="value">([^<]*)</desc>', svg) == ["3", "5", "1", "0"]
    assert _external(svg) == [] and "<script" not in svg
    empty = line_chart("Tiến độ", [], [Series("Người tiếp cận", [])])
    assert "Chưa có số liệu" in empty and "<script" not in empty
    with pytest.raises(ValueError, match="has 1 values for 2 labels"):
        line_chart("x", ["a", "b"], [Series("s", [1])])


def test_the_svg_response_has_its_own_policy() -> None:
    r = svg_response(line_chart("x", ["a"], [Series("s", [1])]), max_age=60)
    assert r.media_type == "image/svg+xml" and r.headers["content-security-policy"] == SVG_CSP
    assert "script-src" not in SVG_CSP and "default-src 'none'" in SVG_CSP
    assert r.headers["cache-control"] == "private, max-age=60" and r.headers["x-content-type-options"] == "nosniff"


def test_a_long_chart_stays_light() -> None:
    days = [day_label(dt.date(2026, 1, 1) + dt.timedelta(days=i), year=True) for i in range(1000)]
    svg = line_chart("Ba năm", days, [Series(name, list(range(1000))) for name in ("A", "B", "C")])
    assert len(svg) < 150_000  # no dot or hidden tooltip per point past two months
    assert 'class="dot reactive' not in svg and "<script" not in svg
    desc = ElementTree.fromstring(svg)[1].text or ""
    assert desc.startswith("A: 01/01/2026 0, 02/01/2026 1") and len(desc) == 2000 and desc.endswith("…")
    short = line_chart("Hai tháng", days[:62], [Series("A", list(range(62)))])
    assert short.count('class="dot reactive') == 62
