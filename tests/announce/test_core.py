"""The pure part: which messages opt out or in, and how an announcement reads."""

from __future__ import annotations

import pytest

from bot.core import announce as core
from bot.core import payloads
from bot.core.types import Button, Inbound, Session


def _ask(text: str, *, subscribed: bool = True, session: Session | None = None) -> core.AnnounceRequest | None:
    return core.parse_request(Inbound(text=text), session or Session(), subscribed=subscribed)


@pytest.mark.parametrize("text", ["dừng", "Dừng", "DỪNG!", "/stop", "/stop@troly06_bot", "stop", "dừng lại",
                                  "  dừng.  "])
def test_one_word_stops_anyone(text: str) -> None:
    assert _ask(text, subscribed=False) == core.AnnounceRequest("stop")


def test_dung_without_marks_stops_only_a_subscriber() -> None:
    assert _ask("dung") == core.AnnounceRequest("stop")
    assert _ask("dung", subscribed=False) is None


@pytest.mark.parametrize("text", ["đúng", "Đúng rồi", "dừng làm sao để cài vneid", "tôi muốn dừng tài khoản", ""])
def test_other_messages_are_not_requests(text: str) -> None:
    assert _ask(text) is None


@pytest.mark.parametrize("text", ["nhận thông báo", "nhan thong bao", "/thongbao", "Đăng ký nhận thông báo"])
def test_opt_in_again(text: str) -> None:
    assert _ask(text, subscribed=False) == core.AnnounceRequest("start")


def test_payloads_round_trip() -> None:
    yes = core.yes_payload(26734)
    assert payloads.parse(yes) is not None
    assert core.parse_request(Inbound(payload=yes), Session(), subscribed=False) == core.AnnounceRequest("yes", 26734)
    for raw, kind in ((core.NO_PAYLOAD, "no"), (core.STOP_PAYLOAD, "stop"), (core.START_PAYLOAD, "start")):
        assert core.parse_request(Inbound(payload=raw), Session(), subscribed=False) == core.AnnounceRequest(kind)  # type: ignore[arg-type]
    for bad in ("an-y", "an-y-x1", "an-zz", "an-n-1", "sp-w-4"):
        assert core.parse_request(Inbound(payload=bad), Session(), subscribed=False) is None


def test_typing_the_offer_button_number_answers_it() -> None:
    offer = core.offer_reply("Phường Ba Đình", 4)
    session = Session(options=offer.buttons)
    assert _ask("1", subscribed=False, session=session) == core.AnnounceRequest("yes", 4)
    assert _ask("không, cảm ơn", subscribed=False, session=session) == core.AnnounceRequest("no")


def test_the_offer_names_the_place_and_how_to_stop() -> None:
    reply = core.offer_reply("Phường Ba Đình", 4)
    assert "Phường Ba Đình" in reply.text and "«dừng»" in reply.text
    assert [b.payload for b in reply.buttons] == ["an-y-4", "an-n"]


def test_stopped_says_how_to_opt_in_again() -> None:
    assert "«nhận thông báo»" in core.stopped_reply("Phường Ba Đình").text
    assert "«nhận thông báo»" in core.declined_reply().text


def test_an_announcement_says_who_speaks_and_how_to_stop() -> None:
    reply = core.message_reply("Chủ nhật 07/12 có tổ hỗ trợ tại nhà văn hóa.", image_url="https://example.org/a.png",
                               buttons=[("Hướng dẫn mức 2", "f-l2")], place="Phường Ba Đình")
    assert reply.text.startswith("📢 Thông báo (Phường Ba Đình)")
    assert reply.text.endswith(core.FOOTER)
    assert reply.buttons[0] == Button("Hướng dẫn mức 2", "f-l2")
    assert reply.images[0].url == "https://example.org/a.png"
