"""QR codes (segno) and the printable leaflet (fpdf2) for a member's share link.

The leaflet embeds Be Vietnam Pro (from the ``fontpkg-be-vietnam-pro`` package, found through the
package, never copied into the repository): a font drawn for Vietnamese, so every diacritic has its
own precomposed glyph and ``pdftotext`` gives the text back as typed. Characters the font lacks
(emoji such as ⚠️ or ✅ in the chat texts) are left out rather than printed as empty boxes.

Layout: the guide's title, the QR code of the member's web link with the link written under it,
the steps of the guide's main path in type of at least :data:`MIN_STEP_PT` points (steps that do not
fit are left to the chat: "quét mã để xem tiếp"), the member's and team's names and the official
hotlines. A question step (a branch: "Bạn làm cho ai?") is printed with its answers, each saying
where it leads: a step further down the leaflet ("xem bước 3"), or the chat for the ways the paper
does not follow ("quét mã QR"); a step's checklist ("Mang theo:") is printed under it. ``a4`` is one leaflet on an A4 page; ``a5`` is two copies side by side on a landscape A4
sheet, to cut in half.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import fontpkg_be_vietnam_pro
import segno
from fontTools.ttLib import TTFont
from fpdf import FPDF

from flows.schema import Flow, Step

__all__ = [
    "HOTLINES",
    "MIN_STEP_PT",
    "Leaflet",
    "Size",
    "font_path",
    "is_question",
    "leaflet_for",
    "leaflet_pdf",
    "main_path",
    "qr_png",
    "qr_svg",
    "step_texts",
]

Size = Literal["a4", "a5"]
MIN_STEP_PT = 14
#: Confirmed in ../shared/reference/domain-facts.md §5 (the same lines the hand-off answer gives).
HOTLINES = (
    "Tổng đài Bộ Công an về căn cước, định danh điện tử: 1900 0368 (có tính cước)",
    "Tổng đài hỗ trợ Cổng Dịch vụ công quốc gia: 1800 1096",
)
_SAFETY = "Không đưa mã OTP, mật khẩu, passcode cho bất kỳ ai, kể cả người xưng là công an."
_SCAN = "Quét mã QR bằng điện thoại để mở hướng dẫn này trong Trợ lý 06"
_MORE = "… các bước tiếp theo: quét mã QR để xem trong Trợ lý 06."
_TO_STEP = "xem bước {n}"
_TO_CHAT = "quét mã QR để được hướng dẫn tiếp"
_MAX_STEPS = 10


def font_path(weight: str = "Regular") -> Path:
    """A TTF of Be Vietnam Pro from the installed package."""
    path: Path = Path(fontpkg_be_vietnam_pro.ROOT) / "files" / f"BeVietnamPro-{weight}.ttf"
    if not path.is_file():
        raise FileNotFoundError(f"the font package has no {path.name}")
    return path


@cache
def _covered() -> frozenset[int]:
    font = TTFont(str(font_path()), lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def _printable(text: str) -> str:
    """``text`` without the characters the font cannot draw (emoji, variation selectors)."""
    covered = _covered()
    kept = "".join(ch for ch in text if ord(ch) in covered or ch in "\n")
    return re.sub(r"[ \t]{2,}", " ", kept).strip()


def qr_png(url: str, *, scale: int = 8) -> bytes:
    """The QR code of ``url`` as PNG (error correction M, quiet zone of 4 modules)."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg(url: str, *, scale: int = 8) -> str:
    """The QR code of ``url`` as a standalone SVG document."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="svg", scale=scale, border=4, xmldecl=False,
                                                  title="Mã QR", desc=url)
    return out.getvalue().decode()


def main_path(flow: Flow) -> list[Step]:
    """The steps of the straight way through a guide: each step's ``next`` (or first in-flow choice)."""
    out: list[Step] = []
    step: Step | None = flow.step(flow.start)
    seen: set[str] = set()
    while step is not None and step.id not in seen and len(out) < _MAX_STEPS:
        out.append(step)
        seen.add(step.id)
        if step.end:
            break
        target = step.next or next((c.goto for c in step.choices if c.goto is not None), None)
        step = flow.step(target) if target else None
    return out


@dataclass(frozen=True, slots=True)
class Leaflet:
    """What one leaflet shows."""

    title: str
    url: str
    steps: Sequence[str]
    member_name: str
    team_name: str


def _pdf() -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_creator("Trợ lý 06")
    pdf.add_font("BVP", "", str(font_path("Regular")))
    pdf.add_font("BVP", "B", str(font_path("Bold")))
    return pdf


def _draw(pdf: FPDF, leaflet: Leaflet, *, x: float, y: float, w: float, h: float, compact: bool) -> None:
    """One leaflet in the box (x, y, w, h), in millimetres."""
    title_pt, qr_mm = (20, 42) if compact else (28, 62)
    pdf.set_xy(x, y)
    pdf.set_font("BVP", "B", title_pt)
    pdf.multi_cell(w, title_pt * 0.45, _printable(leaflet.title), align="L")
    top = pdf.get_y() + 3
    png = io.BytesIO(qr_png(leaflet.url))
    pdf.image(png, x=x, y=top, w=qr_mm, h=qr_mm)
    side_x = x + qr_mm + 4
    pdf.set_xy(side_x, top + 2)
    pdf.set_font("BVP", "B", 14)
    pdf.multi_cell(w - qr_mm - 4, 6.5, _SCAN, align="L")
    pdf.set_font("BVP", "", 9 if compact else 10)
    pdf.set_x(side_x)
    pdf.multi_cell(w - qr_mm - 4, 4.5, leaflet.url, align="L")
    pdf.set_font("BVP", "", 12)
    pdf.set_x(side_x)
    pdf.multi_cell(w - qr_mm - 4, 5.5, _SAFETY, align="L")
    body_top = max(pdf.get_y(), top + qr_mm) + 4
    footer = [f"Người hướng dẫn: {leaflet.member_name} · {leaflet.team_name}", *HOTLINES]
    footer_h = 6 + 5.2 * 2 * len(footer) if compact else 8 + 6 * len(footer)
    body_bottom = y + h - footer_h
    # Steps: as many as fit at the step size (16 pt on A4, 14 pt on A5), never smaller.
    size = MIN_STEP_PT if compact else 16
    line_h = size * 0.42
    pdf.set_font("BVP", "", size)
    pdf.set_y(body_top)
    shown = 0
    for n, text in enumerate(leaflet.steps, start=1):
        line = f"{n}. {_printable(text)}"
        lines: Any = pdf.multi_cell(w, line_h, line, dry_run=True, output="LINES")
        height = len(lines) * line_h + 2
        more_h = line_h * 2 + 2 if n < len(leaflet.steps) else 0
        if pdf.get_y() + height + more_h > body_bottom:
            break
        pdf.set_x(x)
        pdf.multi_cell(w, line_h, line, align="L")
        pdf.set_y(pdf.get_y() + 2)
        shown += 1
    if shown < len(leaflet.steps):
        pdf.set_x(x)
        pdf.set_font("BVP", "B", size)
        pdf.multi_cell(w, line_h, _MORE, align="L")
    # Footer: who hands this out, and the official hotlines.
    pdf.set_draw_color(120, 120, 120)
    pdf.line(x, body_bottom + 2, x + w, body_bottom + 2)
    pdf.set_xy(x, body_bottom + 4)
    pdf.set_font("BVP", "B", 12)
    pdf.multi_cell(w, 5.2, _printable(footer[0]), align="L")
    pdf.set_font("BVP", "", 12)
    for line in footer[1:]:
        pdf.set_x(x)
        pdf.multi_cell(w, 5.2, line, align="L")


def leaflet_pdf(leaflet: Leaflet, *, size: Size = "a4") -> bytes:
    """The leaflet as PDF: one on an A4 page, or (``a5``) two A5 copies on a landscape A4 sheet."""
    pdf = _pdf()
    pdf.set_title(_printable(leaflet.title))
    if size == "a4":
        pdf.add_page()
        _draw(pdf, leaflet, x=15, y=15, w=180, h=267, compact=False)
    else:
        pdf.add_page(orientation="landscape")
        for left in (0.0, 148.5):
            _draw(pdf, leaflet, x=left + 10, y=10, w=128.5, h=190, compact=True)
        pdf.set_draw_color(180, 180, 180)
        pdf.set_dash_pattern(dash=2, gap=2)
        pdf.line(148.5, 5, 148.5, 205)
    return bytes(pdf.output())


def is_question(step: Step) -> bool:
    """A branch: the guide asks and each answer leads to its own step (no single "next")."""
    return step.next is None and any(c.goto is not None for c in step.choices)


def step_texts(flow: Flow) -> list[str]:
    """The printed text of each step of the main path: a question with its answers, a checklist.

    An answer leading to a step printed further down says which ("xem bước 3"); any other answer
    (another branch, another guide, an FAQ entry) sends the reader to the chat through the QR code.
    """
    path = main_path(flow)
    numbers = {step.id: n for n, step in enumerate(path, start=1)}
    out = []
    for n, step in enumerate(path, start=1):
        lines = [" ".join(step.text.split())]
        if step.checklist:
            lines.append(step.checklist_title)
            lines += [f"   – {item}" for item in step.checklist]
        if is_question(step):
            for choice in step.choices:
                target = numbers.get(choice.goto or "")
                where = _TO_STEP.format(n=target) if target is not None and target > n else _TO_CHAT
                lines.append(f"   • «{choice.label}»: {where}")
        out.append("\n".join(lines))
    return out


def leaflet_for(flow: Flow, *, url: str, member_name: str, team_name: str) -> Leaflet:
    """The leaflet of a guide for one member (``url``: the member's web link to the guide)."""
    return Leaflet(title=flow.title, url=url, steps=step_texts(flow), member_name=member_name, team_name=team_name)
