"""Charts as SVG drawn on the server with pygal: no script, no external file, nothing from a CDN.

pygal styles its SVG with an embedded ``<style>``, which the console's CSP (``style-src 'self'``)
would block in an inline ``<svg>``; the page therefore shows each chart as an ``<img>`` with a
``data:image/svg+xml`` URI (``img-src 'self' data:``): an SVG image is its own document, its style
applies and it can run no script. pygal's configuration ``<script>`` and its comments (which name
its web site) are removed from the tree before serialising, and ``js=[]`` keeps its tooltip script
(loaded from a CDN by default) out. Every chart's numbers are also in the table under it.
"""

from __future__ import annotations

import base64
import functools
import math
import xml.etree.ElementTree as ET
from typing import Any, Final

# The console's chart module imports pygal and takes its legacy import hook out of ``sys.meta_path``
# (see there) before anything else is imported.
import api.console.charts  # noqa: F401  # isort: skip
import pygal
from pygal.style import Style

from api.dashboard.sections import Chart

__all__ = ["CACHED", "LABEL_MAX", "chart_svg", "data_uri"]

#: Labels longer than this are cut with "…" (questions along an axis).
LABEL_MAX: Final = 32
#: Drawings kept (a few pages of charts).
CACHED: Final = 256

_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#222222",
    foreground_strong="#111111",
    foreground_subtle="#666666",
    font_family="sans-serif",
    label_font_size=16,
    major_label_font_size=16,
    legend_font_size=16,
    title_font_size=17,
    value_font_size=13,
    colors=("#1f5fbf", "#2e8b57", "#c0572b", "#7b3fa0", "#b8860b", "#00838f", "#ad1457", "#546e7a"),
)

_KINDS: Final[dict[str, Any]] = {
    "bar": pygal.Bar,
    "stacked": pygal.StackedBar,
    "hbar": pygal.HorizontalBar,
    "line": pygal.Line,
    "pie": pygal.Pie,
}


def _short(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def _count_ticks(top: float) -> list[int]:
    """Whole-number ticks from 0 past ``top`` (counts have no fractions), at most about six."""
    step = max(1, math.ceil(top / 5))
    return list(range(0, int(top) + step + 1, step)) if top > 0 else [0, 1]


def _strip(root: ET.Element) -> None:
    """Remove every ``<script>`` element and every comment from the tree."""
    for parent in root.iter():
        for child in list(parent):
            tag = child.tag  # comments and processing instructions have a function as their tag
            if not isinstance(tag, str) or tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)


def chart_svg(chart: Chart, *, width: int = 480, height: int = 360) -> str:
    """The chart as a standalone SVG document (no script, no external reference).

    pygal takes 10-30 ms a chart: the last :data:`CACHED` drawings are kept, so reloading a page
    whose numbers did not change draws nothing.
    """
    key = (chart.title, chart.kind, tuple(chart.labels), tuple((n, tuple(v)) for n, v in chart.series), width, height)
    return _cached_svg(key)


@functools.lru_cache(maxsize=CACHED)
def _cached_svg(key: tuple[Any, ...]) -> str:
    title, kind, labels_in, series, width, height = key
    chart = Chart(title, kind, list(labels_in), [(n, list(v)) for n, v in series])
    cls = _KINDS[chart.kind]
    labels = [_short(lab) for lab in chart.labels]
    entries = len(labels) if chart.kind == "pie" else len(chart.series)
    legend = chart.kind == "pie" or entries > 1
    rows = (entries + 1) // 2 if legend else 0
    # The title is the page's caption (<figcaption>), not drawn twice.
    g = cls(js=[], style=_STYLE, width=width, height=height + 26 * rows,
            no_data_text="Chưa có số liệu", legend_at_bottom=True, legend_at_bottom_columns=2, legend_box_size=14,
            show_legend=legend, print_values=False,
            x_label_rotation=0 if chart.kind in ("hbar", "pie") or len(labels) <= 6 else 45,
            truncate_label=-1, truncate_legend=-1, margin=12, spacing=10)
    if chart.kind == "pie":
        values = chart.series[0][1] if chart.series else []
        for label, value in zip(labels, values, strict=True):
            g.add(label, [value])
    else:
        g.x_labels = labels
        if labels:  # pygal cannot place ticks on a chart without values (it says «Chưa có số liệu»)
            g.y_labels = _count_ticks(max((v for _, vs in chart.series for v in vs), default=0))
        if chart.kind != "hbar" and len(labels) > 10:  # a month of days: every few labelled, the rest ticks
            g.x_labels_major_every = -(-len(labels) // 8)
            g.show_minor_x_labels = False
        for name, values in chart.series:
            g.add(name, values)
    root = g.render_tree()
    _strip(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body


def data_uri(svg: str) -> str:
    """An ``<img src>`` for the SVG."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
