"""Charts for console pages: pygal renders SVG on the server; nothing runs in the browser.

    line_chart(title, labels, series)   a line per series (progress over days, cumulative counts)
    bar_chart(title, labels, series)    grouped (or ``stacked``) bars per label
    svg_response(svg)                   the chart as its own ``image/svg+xml`` document
    day_label(day) / vn_number(value)   Vietnamese date ("02/12") and number ("1.234") formatting

Use a chart as ``<img src="…chart.svg" alt="…">`` from a route that returns :func:`svg_response`.
Not inline in a page: pygal styles its SVG with a ``<style>`` element and a few ``style``
attributes, which the console's Content-Security-Policy (``style-src 'self'``) forbids in a page;
as its own document the SVG carries its own policy (no script, nothing loaded, inline style only).

The SVG holds no script (pygal's ``js`` is empty and its inline config script is removed) and no
reference outside itself (its generator comments with pygal's web address are removed): the only
``http`` in it is the SVG namespace. It starts with a ``<title>`` (the chart's title) and a
``<desc>`` listing every series' values, for screen readers and for tests.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import pygal
from pygal.style import Style

# pygal appends a legacy finder to ``sys.meta_path`` on import (to load its world-map plugins, which
# we do not use). It has no ``find_spec``, so every later import that reaches it (any optional module
# that is absent) raises an ImportWarning — an error under the test suite's warnings-as-errors.
# Taking it back out changes nothing else pygal does.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

from fastapi.responses import Response  # imported after pygal's hook is gone

__all__ = [
    "SVG_CSP",
    "Series",
    "bar_chart",
    "day_label",
    "line_chart",
    "svg_response",
    "vn_number",
]

#: The policy an SVG chart is served with: its own inline style, nothing else (no script, no fetch).
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"

_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#333333",
    foreground_strong="#111111",
    foreground_subtle="#d0d0d0",
    opacity=".9",
    opacity_hover="1",
    colors=("#1f5fbf", "#2e8b57", "#c0572b", "#7b3fa0", "#a07800", "#00838f"),
    font_family='system-ui, "Noto Sans", "DejaVu Sans", Arial, sans-serif',
    title_font_size=18,
    legend_font_size=14,
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
    tooltip_font_size=13,
    no_data_font_size=18,
)
_NO_DATA = "Chưa có số liệu"
_DESC_MAX = 2000
_DOTS_MAX = 62


@dataclass(frozen=True, slots=True)
class Series:
    """One named line or set of bars; ``values`` line up with the chart's labels (None: no value there)."""

    name: str
    values: Sequence[int | float | None]


def vn_number(value: float | None) -> str:
    """A number the Vietnamese way: ``1.234`` and ``1.234,5`` (dot for thousands, comma for decimals)."""
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        whole, _, frac = f"{value:,.1f}".partition(".")
        return whole.replace(",", ".") + "," + frac
    return f"{int(value):,}".replace(",", ".")


def day_label(day: dt.date, *, year: bool = False) -> str:
    """A day as ``dd/mm`` (``dd/mm/yyyy`` with ``year``)."""
    return day.strftime("%d/%m/%Y" if year else "%d/%m")


def _ticks(series: Sequence[Series]) -> list[int] | None:
    """Whole-number y ticks from 0 (counts), about five of them; None when a value is not whole."""
    values = [v for s in series for v in s.values if v is not None]
    if not values or any(isinstance(v, float) and not v.is_integer() for v in values):
        return None
    top = max([0, *values])
    raw = max(1.0, top / 5)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = int(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))
    return list(range(0, int(top) + step, step)) if top else [0, 1]


def _config(title: str, labels: Sequence[str], series: Sequence[Series], x_title: str, y_title: str,
            width: int, height: int) -> dict[str, Any]:
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(labels)} labels")
    return {
        "title": title, "x_title": x_title or None, "y_title": y_title or None, "width": width, "height": height,
        "style": _STYLE, "js": [], "disable_xml_declaration": True, "no_data_text": _NO_DATA,
        "value_formatter": vn_number, "legend_at_bottom": True, "legend_at_bottom_columns": max(1, len(series)),
        "truncate_legend": -1, "truncate_label": -1, "show_minor_x_labels": False,
        "x_labels_major_count": min(len(labels), 8) or None, "y_labels": _ticks(series), "margin": 12,
    }


def _clean(chart: Any, title: str, series: Sequence[Series], labels: Sequence[str]) -> str:
    """The chart's SVG without script or comments, opening with a ``<title>`` and a ``<desc>``."""
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag is ElementTree.Comment or child.tag == "script":
                parent.remove(child)
    for old in root.findall("title"):
        root.remove(old)
    head = ElementTree.Element("title")
    head.text = title
    desc = ElementTree.Element("desc")
    parts = [f"{s.name}: " + ", ".join(f"{label} {vn_number(v)}" for label, v in zip(labels, s.values, strict=True)
                                       if v is not None) for s in series]
    text = "; ".join(parts) or _NO_DATA
    desc.text = text if len(text) <= _DESC_MAX else text[: _DESC_MAX - 1] + "…"
    root.insert(0, desc)
    root.insert(0, head)
    root.set("role", "img")
    svg = ElementTree.tostring(root, encoding="unicode")
    # Defensive: whatever pygal version is installed, nothing may point outside the document.
    if re.search(r"<script|(?:href|src)\s*=\s*\"(?!#)", svg):
        raise RuntimeError("a chart must not reference anything outside itself")
    return svg


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, x_title: str = "",
               y_title: str = "", width: int = 720, height: int = 360) -> str:
    """A line chart: one line per series over ``labels`` (days, weeks…), as an SVG document string."""
    # Past about two months of days the dots (each with its hidden tooltip) only add weight.
    chart = pygal.Line(**_config(title, labels, series, x_title, y_title, width, height), dots_size=3,
                       show_dots=len(labels) <= _DOTS_MAX)
    chart.x_labels = list(labels)
    for s in series:
        chart.add(s.name, list(s.values))
    return _clean(chart, title, series, labels)


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, stacked: bool = False,
              x_title: str = "", y_title: str = "", width: int = 720, height: int = 360) -> str:
    """A bar chart: a bar per series at each label (stacked when ``stacked``), as an SVG document string."""
    kind = pygal.StackedBar if stacked else pygal.Bar
    chart = kind(**_config(title, labels, series, x_title, y_title, width, height))
    chart.x_labels = list(labels)
    for s in series:
        chart.add(s.name, list(s.values))
    return _clean(chart, title, series, labels)


def svg_response(svg: str, *, max_age: int = 0) -> Response:
    """An SVG chart as its own document, under :data:`SVG_CSP` (cached ``max_age`` seconds, privately)."""
    cache = f"private, max-age={max_age}" if max_age else "no-store"
    return Response(svg, media_type="image/svg+xml", headers={
        "Content-Security-Policy": SVG_CSP, "X-Content-Type-Options": "nosniff", "Cache-Control": cache})
