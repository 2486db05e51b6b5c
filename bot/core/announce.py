"""Announcements by commune in a chat, without I/O: recognising «dừng», the offer, the wording.

The shell (:mod:`api.announce.chat`) stores the citizen's answer (one subscription row per user,
which also records that the offer was made, so it is made once); this module recognises what the
citizen asked for and words every answer. The offer comes at a natural moment only: right after the
support-point search named the citizen's commune or ward, never in the middle of something else.

Payloads: ``an-y-<commune code>`` (yes, for that commune), ``an-n`` (no, thanks), ``an-stop``
(opt out), ``an-start`` (opt in again). Typed words do the same: «dừng» / «dung» / ``/stop`` opt out
(«dung» only from an active subscriber: without diacritics it could be «đúng»), «nhận thông báo» /
``/thongbao`` opt in again.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core import payloads, texts
from bot.core.types import Button, Image, Inbound, Reply, ReplyRole, Session
from faq.labels import pick_option
from faq.normalize import fold

__all__ = [
    "ANNOUNCE_PREFIX",
    "FOOTER",
    "NO_PAYLOAD",
    "START_PAYLOAD",
    "STOP_PAYLOAD",
    "AnnounceRequest",
    "RequestKind",
    "choose_commune_reply",
    "declined_reply",
    "message_reply",
    "not_subscribed_reply",
    "offer_reply",
    "parse_request",
    "resumed_reply",
    "stopped_reply",
    "subscribed_reply",
    "yes_payload",
]

RequestKind = Literal["yes", "no", "stop", "start"]

STOP_PAYLOAD = "an-stop"
START_PAYLOAD = "an-start"
NO_PAYLOAD = "an-n"
#: Shown above every announcement, so the citizen knows who speaks.
ANNOUNCE_PREFIX = "📢 Thông báo"
#: Ends every announcement: how to opt out, in one word.
FOOTER = "Gõ «dừng» nếu bạn không muốn nhận thông báo nữa."

# Exact messages (NFC, lower case, trimmed of punctuation) that opt out / opt in.
_STOP_EXACT = frozenset({"dừng", "/stop", "stop", "dừng lại", "dừng nhận thông báo", "hủy nhận thông báo",
                         "huỷ nhận thông báo"})
#: Folded forms accepted only from an active subscriber («dung» may be «đúng» typed without marks).
_STOP_FOLDED = frozenset({"dung", "dung lai", "dung nhan thong bao", "huy nhan thong bao"})
_START_FOLDED = frozenset({"nhan thong bao", "/thongbao", "dang ky nhan thong bao", "nhan thong bao lai"})
_YES_LABEL = "🔔 Nhận thông báo"
_NO_LABEL = "Không, cảm ơn"
_STOP_LABEL = "Dừng nhận thông báo"

OFFER = ("Bạn có muốn nhận thông báo của {place} qua trợ lý này không? Ví dụ lịch hỗ trợ cài VNeID, "
         "định danh mức 2 lưu động tại địa phương. Tôi chỉ gửi khi có thông báo mới, và bạn gõ «dừng» "
         "bất cứ lúc nào để thôi nhận.")
SUBSCRIBED = ("✅ Bạn đã đăng ký nhận thông báo của {place}. Khi muốn thôi nhận, bạn gõ «dừng» "
              "(hoặc /stop).")
DECLINED = ("Vâng, tôi sẽ không gửi thông báo. Nếu đổi ý, bạn gõ «nhận thông báo» bất cứ lúc nào.")
STOPPED = ("✅ Bạn đã thôi nhận thông báo{place}. Tôi sẽ không gửi nữa. Muốn nhận lại, bạn gõ "
           "«nhận thông báo» bất cứ lúc nào.")
NOT_SUBSCRIBED = ("Bạn đang không nhận thông báo nào từ trợ lý. Muốn nhận thông báo của xã/phường "
                  "nơi bạn ở, bạn gõ «nhận thông báo».")
RESUMED = "✅ Bạn đã nhận lại thông báo của {place}. Gõ «dừng» khi muốn thôi nhận."
CHOOSE = ("Để nhận thông báo đúng nơi bạn ở, bạn chọn tỉnh/thành phố rồi xã/phường của mình "
          "(trợ lý sẽ hỏi bạn có muốn nhận thông báo sau khi tìm xong).")


@dataclass(frozen=True, slots=True)
class AnnounceRequest:
    """What a message asks of the announcements: yes (for ``commune``), no, stop, start."""

    kind: RequestKind
    commune: int | None = None


def yes_payload(commune_code: int) -> str:
    """The «Nhận thông báo» button's payload for a commune or ward."""
    return payloads.make("an", "y", str(commune_code))


def _from_payload(raw: str) -> AnnounceRequest | None:
    parsed = payloads.parse(raw)
    if parsed is None or parsed.kind != "an":
        return None
    head = parsed.args[0]
    if head == "y" and len(parsed.args) == 2 and parsed.args[1].isdigit() and len(parsed.args[1]) <= 9:
        return AnnounceRequest("yes", int(parsed.args[1]))
    if head == "n" and len(parsed.args) == 1:
        return AnnounceRequest("no")
    if head in ("stop", "start") and len(parsed.args) == 1:
        return AnnounceRequest("stop" if head == "stop" else "start")
    return None


def _plain(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().strip(".!?,;:").strip().lower()


def parse_request(inbound: Inbound, session: Session, *, subscribed: bool) -> AnnounceRequest | None:
    """What this message asks of the announcements, or None (an ordinary turn).

    ``subscribed`` says the citizen receives announcements now (it lets «dung» mean «dừng»).
    """
    if inbound.payload is not None:
        return _from_payload(inbound.payload)
    text = (inbound.text or "").strip()
    if not text or len(text) > 40:
        return None
    plain = _plain(text)
    if plain.startswith("/stop@"):
        plain = "/stop"
    if plain in _STOP_EXACT:
        return AnnounceRequest("stop")
    folded = fold(plain)
    if subscribed and plain.isascii() and folded in _STOP_FOLDED:  # «đúng» is not «dung»
        return AnnounceRequest("stop")
    if folded in _START_FOLDED or plain == "/thongbao" or plain.startswith("/thongbao@"):
        return AnnounceRequest("start")
    offered = [b for b in session.options if b.payload.startswith("an-")]
    if offered:
        idx = pick_option(text, [b.label for b in session.options])
        if idx is not None and session.options[idx].payload.startswith("an-"):
            return _from_payload(session.options[idx].payload)
    return None


def offer_reply(place: str, commune_code: int) -> Reply:
    """The one-time offer, after the support-point search named the citizen's commune or ward."""
    return Reply(OFFER.format(place=place),
                 (Button(_YES_LABEL, yes_payload(commune_code)), Button(_NO_LABEL, NO_PAYLOAD)),
                 role=ReplyRole.NOTE)


def subscribed_reply(place: str) -> Reply:
    """The citizen said yes."""
    return Reply(SUBSCRIBED.format(place=place), (Button(_STOP_LABEL, STOP_PAYLOAD), texts.MAIN_MENU_BUTTON))


def declined_reply() -> Reply:
    """The citizen said no, thanks."""
    return Reply(DECLINED, (texts.MAIN_MENU_BUTTON,))


def stopped_reply(place: str | None) -> Reply:
    """The citizen opted out: confirmed, with how to opt in again."""
    return Reply(STOPPED.format(place=f" của {place}" if place else ""), (texts.MAIN_MENU_BUTTON,))


def not_subscribed_reply() -> Reply:
    """«dừng» from someone who receives nothing."""
    return Reply(NOT_SUBSCRIBED, (texts.MAIN_MENU_BUTTON,))


def resumed_reply(place: str) -> Reply:
    """The citizen opted in again for the commune they had chosen before."""
    return Reply(RESUMED.format(place=place), (Button(_STOP_LABEL, STOP_PAYLOAD), texts.MAIN_MENU_BUTTON))


def choose_commune_reply() -> Reply:
    """«nhận thông báo» with no commune known yet: the support-point search asks it."""
    return Reply(CHOOSE, role=ReplyRole.NOTE)


def message_reply(text: str, *, image_url: str | None, buttons: Sequence[tuple[str, str]], place: str) -> Reply:
    """An announcement as the citizen receives it (every channel renders this one reply).

    ``place`` names who it is for («Phường Bến Thành», or «trợ lý 06» when sent to everyone).
    """
    body = f"{ANNOUNCE_PREFIX} ({place})\n\n{text.strip()}\n\n{FOOTER}"
    images = (Image(image_url, "Ảnh kèm thông báo"),) if image_url else ()
    return Reply(body, tuple(Button(label, payload) for label, payload in buttons) + (texts.MAIN_MENU_BUTTON,),
                 images)
