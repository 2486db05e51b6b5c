"""Support points in a chat, without I/O: what the citizen asked for, time windows, distances, wording.

The shell (:mod:`api.support.chat`) looks points up in the database; this module recognises the
question («mức 2 làm ở đâu», «chủ nhật có ai hỗ trợ không», «gần đây có điểm hỗ trợ không»), the
``sp-…`` payloads of its buttons and a shared location, computes each point's next time window and
distance, and words the answer. Time is passed in (UTC); windows are in Vietnam's local time
(UTC+7 all year: no daylight saving since 1975).

Payloads: ``sp-start`` (ask where), ``sp-pp-<page>`` (a page of provinces), ``sp-p-<province>``,
``sp-w-<commune or ward>``, ``sp-loc`` (ask for a location: the web page and Telegram answer it with
the device's location) and ``sp-g-<lat>-<lon>`` (a location from the web page: ``.`` written as
``_``, a leading ``n`` for a minus sign).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core import payloads, texts
from bot.core.types import Button, Inbound, Reply, Session
from faq.labels import pick_option
from faq.normalize import fold

__all__ = [
    "ENTRY_ID",
    "LOCATION_PAYLOAD",
    "LOGGED_LOCATION",
    "PAGE_SIZE",
    "SESSION_KEY",
    "SOON",
    "VN",
    "PointView",
    "Ranked",
    "RequestKind",
    "SupportRequest",
    "Window",
    "ask_location_reply",
    "distance_m",
    "format_window",
    "geo_payload",
    "is_support_question",
    "next_window",
    "parse_geo",
    "parse_request",
    "province_page_reply",
    "rank",
    "results_reply",
    "round_location",
    "start_reply",
    "unknown_place_reply",
    "wards_reply",
]

#: Vietnam's local time (Asia/Ho_Chi_Minh).
VN = dt.timezone(dt.timedelta(hours=7), "ICT")
#: The FAQ entry these answers are reported as (``match.kind`` stays within the CLI contract).
ENTRY_ID = "help_where"
#: The button that asks for the device's location.
LOCATION_PAYLOAD = "sp-loc"
#: What the message log keeps instead of a location (never the coordinates).
LOGGED_LOCATION = "<vị trí>"
#: Session ``extra`` key: ``p`` (choosing a province) or ``w:<province code>`` (choosing a commune).
SESSION_KEY = "sp"
PAGE_SIZE = 8
#: A point whose next window starts within this time counts as "soon open".
SOON = dt.timedelta(days=7)
_EARTH_M = 6_371_008.8
_WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
SERVICE_LABELS = {"install": "cài VNeID", "level2": "định danh mức 2", "card": "làm thẻ căn cước",
                  "services": "dịch vụ công trực tuyến"}

RequestKind = Literal["start", "page", "province", "ward", "ask_location", "location", "typed"]


@dataclass(frozen=True, slots=True)
class SupportRequest:
    """What the citizen asked of the support-point search."""

    kind: RequestKind
    code: int = 0
    lat: float = 0.0
    lon: float = 0.0
    text: str = ""


@dataclass(frozen=True, slots=True)
class Window:
    """A time window: weekly (``weekday`` 0 = Monday) or on ``on_date``; ``start``/``end`` local times."""

    weekday: int | None
    on_date: dt.date | None
    start: dt.time
    end: dt.time


@dataclass(frozen=True, slots=True)
class PointView:
    """A support point as the chat and the public API show it."""

    id: int
    name: str
    kind: str
    address: str
    province_code: int
    commune_code: int
    lat: float
    lon: float
    services: tuple[str, ...]
    bring: str
    note: str
    windows: tuple[Window, ...]


@dataclass(frozen=True, slots=True)
class Ranked:
    """A point with its distance (None without a location) and next window."""

    point: PointView
    distance_m: float | None
    next_window: tuple[dt.datetime, dt.datetime] | None
    open_now: bool


# -- time and distance ------------------------------------------------------------------------------


def next_window(windows: Sequence[Window], now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """The window that is open now or opens next (local-time datetimes), or None."""
    local = now.astimezone(VN)
    best: tuple[dt.datetime, dt.datetime] | None = None
    for w in windows:
        days: list[dt.date]
        if w.on_date is not None:
            days = [w.on_date]
        elif w.weekday is not None:
            first = local.date() + dt.timedelta(days=(w.weekday - local.weekday()) % 7)
            days = [first, first + dt.timedelta(days=7)]
        else:
            continue
        for day in days:
            start = dt.datetime.combine(day, w.start, VN)
            end = dt.datetime.combine(day, w.end, VN)
            if end > local:
                if best is None or start < best[0]:
                    best = (start, end)
                break
    return best


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(min(1.0, math.sqrt(a)))


def round_location(lat: float, lon: float) -> tuple[float, float]:
    """A location rounded to 3 decimals (about 110 m): all the search needs, and not a home address."""
    return round(lat, 3), round(lon, 3)


def rank(points: Sequence[PointView], now: dt.datetime, *, near: tuple[float, float] | None = None,
         soon_first: bool = False) -> list[Ranked]:
    """Points with distance and next window: nearest first with a location, else soonest first.

    ``soon_first`` puts points open now or opening within :data:`SOON` before the others (the chat).
    """
    out = []
    for p in points:
        nw = next_window(p.windows, now)
        dist = distance_m(near[0], near[1], p.lat, p.lon) if near is not None else None
        out.append(Ranked(p, dist, nw, nw is not None and nw[0] <= now < nw[1]))

    def key(r: Ranked) -> tuple[int, float, float, int]:
        soon = r.next_window is not None and r.next_window[0] - now <= SOON
        start = r.next_window[0].timestamp() if r.next_window is not None else math.inf
        return (0 if soon or not soon_first else 1,
                r.distance_m if r.distance_m is not None else start,
                start, r.point.id)

    return sorted(out, key=key)


# -- what the citizen asked -------------------------------------------------------------------------

_WHERE = re.compile(r"\b(o dau|cho nao|noi nao|dia diem|dia chi)\b")
# Things done in person. Not "vneid" alone: «vneid tải ở đâu» asks for the app store, not a desk.
_TOPIC = re.compile(r"\b(muc 2|muc2|muc do 2|dinh danh|can cuoc|cccd|ho tro)\b")
#: Getting the app is never an in-person question, whatever else the message names.
_APP = re.compile(r"\b(tai|tai ve|cai|cai dat|download|ch play|app store|cua hang)\b")
#: A lost, damaged or wrong card names its procedure (re-issue), whose answer says where: the core's.
_PROCEDURE = re.compile(r"\b(mat|bi mat|danh roi|hong|cap lai|lam lai|cap doi|doi the|sai thong tin)\b")
_DAY = re.compile(r"\b(chu nhat|cuoi tuan|thu bay|buoi toi|ngoai gio)\b")
_HELP = re.compile(r"\b(ho tro|huong dan|lam|mo cua|lam viec|tiep dan)\b")
_NEAR = re.compile(r"\b(gan day|gan nha|gan toi|gan minh|gan nhat|quanh day)\b")
_PLACE = re.compile(r"\b(ho tro|diem|cong an|mot cua|vneid|muc 2|can cuoc)\b")
_POINT = re.compile(r"\b(diem ho tro|ho tro truc tiep|to luu dong|diem tiep nhan)\b")
_GEO_ARG = re.compile(r"^n?\d{1,3}(_\d{1,6})?$")


def is_support_question(text: str) -> bool:
    """True for a short question about where or when to get help in person."""
    f = fold(text)
    words = f.split()
    if not words or len(words) > 12:
        return False
    if _POINT.search(f):
        return True
    if _NEAR.search(f) and _PLACE.search(f):
        return True
    if _DAY.search(f) and _HELP.search(f) and ("co ai" in f or "ho tro" in f or "lam viec" in f):
        return True
    return bool(_WHERE.search(f) and _TOPIC.search(f) and not _APP.search(f) and not _PROCEDURE.search(f)
                and len(words) <= 8)


def _geo_arg(value: str) -> float | None:
    if not _GEO_ARG.match(value):
        return None
    return (-1.0 if value.startswith("n") else 1.0) * float(value.lstrip("n").replace("_", "."))


def parse_geo(payload: str) -> tuple[float, float] | None:
    """The location in a ``sp-g-<lat>-<lon>`` payload (None when malformed or out of range)."""
    parts = payload.split("-")
    if len(parts) != 4 or parts[:2] != ["sp", "g"]:
        return None
    lat, lon = _geo_arg(parts[2]), _geo_arg(parts[3])
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def geo_payload(lat: float, lon: float) -> str:
    """The payload the web page sends for a location (4 decimals)."""
    def enc(v: float) -> str:
        return ("n" if v < 0 else "") + f"{abs(v):.4f}".replace(".", "_")
    return f"sp-g-{enc(lat)}-{enc(lon)}"


def _from_payload(raw: str) -> SupportRequest | None:
    parsed = payloads.parse(raw)
    if parsed is None or parsed.kind != "sp":
        return None
    step, args = parsed.args[0], parsed.args[1:]
    number = int(args[0]) if len(args) == 1 and args[0].isdigit() and len(args[0]) <= 6 else None
    if step == "start" and not args:
        return SupportRequest("start")
    if step == "loc" and not args:
        return SupportRequest("ask_location")
    if step == "pp" and number is not None:
        return SupportRequest("page", code=number)
    if step == "p" and number is not None:
        return SupportRequest("province", code=number)
    if step == "w" and number is not None:
        return SupportRequest("ward", code=number)
    if step == "g":
        geo = parse_geo(raw)
        if geo is not None:
            return SupportRequest("location", lat=geo[0], lon=geo[1])
    return None


def parse_request(inbound: Inbound, session: Session, *, location: tuple[float, float] | None = None
                  ) -> SupportRequest | None:
    """What this message asks of the support-point search, or None (an ordinary turn for the core)."""
    if location is not None:
        return SupportRequest("location", lat=location[0], lon=location[1])
    if inbound.payload is not None:
        return _from_payload(inbound.payload)
    text = (inbound.text or "").strip()
    if not text or text.startswith("/"):
        return None
    if session.options:
        idx = pick_option(text, [b.label for b in session.options])
        if idx is not None:
            return _from_payload(session.options[idx].payload)
    if is_support_question(text):
        return SupportRequest("start")
    if dict(session.extra).get(SESSION_KEY):
        return SupportRequest("typed", text=text)
    return None


# -- wording ----------------------------------------------------------------------------------------

INTRO = ("Định danh mức 2 và làm thẻ căn cước: làm trực tiếp tại Công an cấp xã nơi bạn ở. "
         "Để xem điểm hỗ trợ gần bạn và giờ làm việc (cả các buổi hỗ trợ lưu động), hãy chọn tỉnh/thành phố "
         "hoặc gõ tên tỉnh, hoặc gửi vị trí của bạn.")
LOCATION_BUTTON = "📍 Gửi vị trí"
ASK_LOCATION = ("Bạn bấm nút «Gửi vị trí» (trên Telegram), «Dùng vị trí của tôi» (trên trang web), hoặc trên "
                "Zalo bấm dấu ＋/📎 rồi chọn «Vị trí» để gửi. Tôi chỉ dùng vị trí để tìm điểm gần nhất, "
                "không lưu lại.")
PROVINCES = "Bạn ở tỉnh/thành phố nào? Chọn bên dưới hoặc gõ tên (không dấu cũng được)."
WARDS = ("Bạn ở xã/phường nào của {province}? Gõ tên xã/phường (không dấu cũng được)"
         "{listed}.")
WARDS_LISTED = ", hoặc chọn một nơi đã có điểm hỗ trợ bên dưới"
UNKNOWN_PLACE = ("Tôi chưa tìm thấy «{text}» trong danh sách {what}. Bạn gõ lại tên (ví dụ «{example}»), "
                 "chọn bên dưới, hoặc gửi vị trí.")
NONE_HERE = ("Tôi chưa có điểm hỗ trợ nào được đăng ký cho {place}. Bạn có thể đến Công an cấp xã nơi cư trú "
             "(làm định danh mức 2, thẻ căn cước) hoặc Trung tâm phục vụ hành chính công cấp xã; giờ làm việc "
             "hãy hỏi trực tiếp tại đó.")
FOUND = "Điểm hỗ trợ {where}:"
MORE_PROVINCES = "Tỉnh khác ▶"
#: How a place is named when no point is within :data:`NEAR_MAX_M` of a location.
NEAR_PLACE = "khu vực gần bạn (trong vòng 30 km)"
#: Points farther than this from a location are not offered as "near".
NEAR_MAX_M = 30_000


def _nav(extra: Sequence[Button] = ()) -> tuple[Button, ...]:
    return (*extra, Button(LOCATION_BUTTON, LOCATION_PAYLOAD), texts.MAIN_MENU_BUTTON)


def start_reply(provinces: Sequence[tuple[int, str]]) -> Reply:
    """The first answer: where to go in general, then province buttons and the location button."""
    return Reply(f"{INTRO}\n\n{PROVINCES}", _nav(_province_buttons(provinces, 0)))


def _province_buttons(provinces: Sequence[tuple[int, str]], page: int) -> tuple[Button, ...]:
    chunk = provinces[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    buttons = [Button(name, payloads.make("sp", "p", str(code))) for code, name in chunk]
    if (page + 1) * PAGE_SIZE < len(provinces):
        buttons.append(Button(MORE_PROVINCES, payloads.make("sp", "pp", str(page + 1))))
    elif page > 0:
        buttons.append(Button(MORE_PROVINCES, payloads.make("sp", "pp", "0")))
    return tuple(buttons)


def province_page_reply(provinces: Sequence[tuple[int, str]], page: int) -> Reply:
    """A page of provinces (the list wraps around)."""
    pages = max(1, math.ceil(len(provinces) / PAGE_SIZE))
    return Reply(PROVINCES, _nav(_province_buttons(provinces, page % pages)))


def wards_reply(province: str, listed: Sequence[tuple[int, str]]) -> Reply:
    """Ask for the commune or ward; the ones that have support points are offered as buttons."""
    buttons = tuple(Button(name, payloads.make("sp", "w", str(code))) for code, name in listed[:PAGE_SIZE])
    return Reply(WARDS.format(province=province, listed=WARDS_LISTED if buttons else ""), _nav(buttons))


def unknown_place_reply(text: str, *, what: str, example: str, buttons: Sequence[Button]) -> Reply:
    """A typed name that matched no province or commune."""
    return Reply(UNKNOWN_PLACE.format(text=text[:60], what=what, example=example), _nav(buttons))


def ask_location_reply() -> Reply:
    """How to send a location on each channel."""
    return Reply(ASK_LOCATION, _nav())


def format_window(window: tuple[dt.datetime, dt.datetime], now: dt.datetime) -> str:
    """«Chủ nhật 07/12, 18:00–21:00» (local time), with «đang mở» when open now."""
    start, end = (t.astimezone(VN) for t in window)
    label = f"{_WEEKDAYS[start.weekday()]} {start:%d/%m}, {start:%H:%M}–{end:%H:%M}"
    return f"đang mở, đến {end:%H:%M}" if start <= now < end else label


def _distance(m: float) -> str:
    return f"{m:.0f} m" if m < 1000 else f"{m / 1000:.1f} km".replace(".", ",")


def results_reply(ranked: Sequence[Ranked], now: dt.datetime, *, where: str) -> Reply:
    """Up to 3 points: name, address, distance, next window, what is done there, what to bring."""
    lines = [FOUND.format(where=where)]
    for i, r in enumerate(ranked[:3], start=1):
        p = r.point
        head = f"{i}. {p.name}" + (f" (cách {_distance(r.distance_m)})" if r.distance_m is not None else "")
        lines.append(head)
        lines.append(f"   Địa chỉ: {p.address}")
        when = format_window(r.next_window, now) if r.next_window is not None else "chưa có lịch sắp tới"
        lines.append(f"   Lịch: {when}")
        if p.services:
            lines.append("   Làm: " + ", ".join(SERVICE_LABELS.get(s, s) for s in p.services))
        if p.bring:
            lines.append(f"   Mang theo: {p.bring}")
    return Reply("\n".join(lines), _nav())


def none_reply(place: str) -> Reply:
    """No point listed there: say so, and give the general answer."""
    return Reply(NONE_HERE.format(place=place), _nav())
