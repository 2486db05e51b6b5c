"""The dashboard's pure parts: chart SVG without script or outside reference, the filters' UTC window,
formula-safe cells, the registry's keys, the nearest-rank percentile."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from api.dashboard.charts import chart_svg, data_uri
from api.dashboard.export import safe_text, table_csv
from api.dashboard.queries import percentile
from api.dashboard.sections import Chart, Col, Filters, Section, Table, bars, pivot, register


@pytest.mark.parametrize("kind", ["bar", "stacked", "hbar", "line", "pie"])
def test_every_chart_kind_is_plain_svg(kind: str) -> None:
    svg = chart_svg(Chart("Thử <b>", kind, ["Trả lời được", "=cmd|x", "02/12"],  # type: ignore[arg-type]
                          [("Tin nhắn", [3.0, 1.0, 0.0]), ("Người dân", [2.0, 1.0, 0.0])]))
    assert svg.startswith('<?xml version="1.0" encoding="utf-8"?>\n<svg')
    assert "<script" not in svg and "<!--" not in svg and "pygal.org" not in svg
    assert set(re.findall(r"https?://[^\s\"']+", svg)) <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert "Trả lời được" in svg and "<b>" not in svg  # labels are text, escaped
    assert data_uri(svg).startswith("data:image/svg+xml;base64,")


def test_counts_get_whole_number_ticks_and_empty_charts_say_so() -> None:
    svg = chart_svg(Chart("", "bar", ["a"], [("n", [7.0])]))
    ticks = re.findall(r'class="axis y[^"]*".*', svg)
    assert ticks and ">0.5<" not in svg and ">1.5<" not in svg
    for kind in ("bar", "stacked", "hbar", "line", "pie"):
        assert "Chưa có số liệu" in chart_svg(Chart("", kind, [], []))  # type: ignore[arg-type]
        assert "Chưa có số liệu" in chart_svg(Chart("", kind, [], [("n", [])]))  # type: ignore[arg-type]


def test_the_filters_window_is_vietnam_days_in_utc() -> None:
    f = Filters(since=dt.date(2026, 12, 1), until=dt.date(2026, 12, 1))
    assert f.window() == (dt.datetime(2026, 11, 30, 17, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, 17, tzinfo=dt.UTC))
    assert Filters().window() == (None, None)


def test_formula_like_texts_are_neutralised_in_csv() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_text(text) == "'" + text
    assert safe_text(-3) == -3 and safe_text("bình thường") == "bình thường" and safe_text(None) is None
    table = Table((Col("q", "Câu hỏi"), Col("n", "Số")), [("=HYPERLINK(\"x\")", -1)])
    assert table_csv(table) == "\ufeffCâu hỏi,Số\r\n\"'=HYPERLINK(\"\"x\"\")\",-1\r\n"


def test_section_keys_are_checked() -> None:
    def nothing(ctx: object) -> Table:
        return Table((), [])

    for key in ("Delivery", "export", "", "x" * 33, "gửi", "a-b"):
        with pytest.raises(ValueError):
            register(Section(key, "x", nothing))  # type: ignore[arg-type]


def test_chart_specs_read_the_table() -> None:
    table = Table((Col("day", "Ngày", "day"), Col("channel", "Kênh"), Col("messages", "Tin nhắn")),
                  [("2026-12-01", "web", 2), ("2026-12-01", "telegram", 1), ("2026-12-02", "web", 4)])
    [chart] = pivot(x="day", split="channel", value="messages")(table)
    assert chart.labels == ["01/12", "02/12"]
    assert chart.series == [("telegram", [1.0, 0.0]), ("web", [2.0, 4.0])]
    [chart] = bars(x="channel", series=("messages",), where=("day", "2026-12-01"))(table)
    assert (chart.labels, chart.series) == (["web", "telegram"], [("Tin nhắn", [2.0, 1.0])])
    assert table.col("day").display("2026-12-01") == "01/12/2026" and Col("s", "S").display(57.14) == "57,1"


def test_nearest_rank_percentile() -> None:
    assert percentile([], 90) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([float(i) for i in range(1, 11)], 90) == 9.0
    assert percentile([float(i) for i in range(1, 11)], 50) == 5.0
