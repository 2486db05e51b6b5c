"""Data factories for tests: small, hand-made content snapshots and inbound messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from bot.core.content import ContentSnapshot
from bot.core.types import Inbound
from faq.schema import FaqEntry
from flows.catalogue import Catalogue
from flows.engine import FlowSet
from flows.schema import Flow, LifeEvent, Sector, Service

REVIEWED = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def faq_entry(id: str, questions: Sequence[str], answer: str, **kw: Any) -> FaqEntry:
    """A FAQ entry with sensible defaults."""
    data: dict[str, Any] = {
        "id": id,
        "title": kw.pop("title", id.replace("_", " ").capitalize()[:30]),
        "questions": tuple(questions),
        "answer": answer,
        "source": kw.pop("source", "Nguồn thử nghiệm"),
        "reviewed": kw.pop("reviewed", REVIEWED),
    }
    data.update(kw)
    return FaqEntry.model_validate(data)


def small_faq() -> list[FaqEntry]:
    """A handful of entries covering the core's paths."""
    return [
        faq_entry(
            "forgot_password",
            ["Quên mật khẩu VNeID thì làm sao?", "lấy lại mật khẩu VNeID", "không nhớ mật khẩu đăng nhập VNeID"],
            "Bạn chọn «Quên mật khẩu» ở màn hình đăng nhập VNeID.\n1. Nhập số định danh và số điện thoại.\n2. Nhập mã OTP.\n3. Đặt mật khẩu mới.",
            title="Quên mật khẩu",
            related=("level2_where",),
        ),
        faq_entry(
            "level2_where",
            ["Đăng ký định danh mức 2 ở đâu?", "làm mức 2 ở đâu", "kích hoạt mức 2 ở công an nào"],
            "Bạn đến Công an cấp xã để đăng ký tài khoản định danh điện tử mức 2, mang theo thẻ căn cước.",
            title="Làm mức 2 ở đâu",
            flow="l2",
        ),
        faq_entry(
            "expired_fee",
            ["lệ phí đặc biệt năm 2020"],
            "Lệ phí cũ đã hết hiệu lực từ lâu rồi bạn nhé.",
            title="Lệ phí cũ",
            valid_until=dt.date(2020, 12, 31),
        ),
        faq_entry(
            "other_apps",
            ["quên mật khẩu zalo", "quên mật khẩu facebook", "tài khoản zalo bị khóa"],
            "Xin lỗi, tôi chỉ hỗ trợ VNeID và dịch vụ công, không hỗ trợ tài khoản Zalo, Facebook.",
            title="Ứng dụng khác",
            kind="offtopic",
        ),
    ]


def small_flows() -> FlowSet:
    """A three-step flow ``l2`` with a branch and a failure step."""
    flow = Flow.model_validate(
        {
            "id": "l2",
            "title": "Làm định danh mức 2",
            "summary": "Các bước đăng ký tài khoản định danh điện tử mức 2 tại Công an cấp xã.",
            "triggers": ["hướng dẫn làm mức 2", "các bước kích hoạt mức 2", "đăng ký mức 2 thế nào",
                         "thủ tục định danh mức 2", "huong dan muc 2"],
            "source": "Nguồn thử nghiệm",
            "reviewed": REVIEWED.isoformat(),
            "steps": [
                {"id": "card", "text": "Bạn đã có thẻ căn cước gắn chip chưa?",
                 "choices": [{"label": "Đã có thẻ", "goto": "go"}, {"label": "Chưa có thẻ", "goto": "nocard"}]},
                {"id": "nocard", "text": "Bạn làm thẻ căn cước và mức 2 cùng lúc tại Công an cấp xã.", "next": "go"},
                {"id": "go", "text": "Mang thẻ đến Công an cấp xã.", "next": "done", "fail": "help"},
                {"id": "help", "text": "Hỏi cán bộ Công an cấp xã.", "back_to": "go"},
                {"id": "done", "text": "Xong. Chờ tin nhắn báo duyệt.", "end": True},
            ],
        }
    )
    return FlowSet.build([flow])


def small_catalogue() -> Catalogue:
    """One service, one life event, one sector."""
    svc = Service.model_validate(
        {
            "id": "passport",
            "number": 12,
            "name": "Cấp, cấp lại, sửa đổi, bổ sung hộ chiếu phổ thông",
            "title": "Làm hộ chiếu",
            "summary": "Xin cấp hộ chiếu phổ thông trực tuyến.",
            "sector": "cong_an",
            "body": "Bộ Công an",
            "life_events": ["giay_to"],
            "channels": ["portal"],
            "keywords": ["làm hộ chiếu", "passport"],
            "source": "Nguồn thử nghiệm",
            "reviewed": REVIEWED.isoformat(),
        }
    )
    ev = LifeEvent.model_validate({"id": "giay_to", "title": "Giấy tờ tùy thân", "intro": "Các thủ tục giấy tờ."})
    sec = Sector.model_validate({"id": "cong_an", "title": "Công an", "intro": "Các thủ tục của Công an."})
    return Catalogue.build([svc], [ev], [sec])


def snapshot(faq: Sequence[FaqEntry] | None = None, version: int = 1) -> ContentSnapshot:
    """A snapshot of the small content."""
    return ContentSnapshot.build(
        version=version, faq=list(faq if faq is not None else small_faq()), flows=small_flows(),
        catalogue=small_catalogue(),
    )


def text(t: str, **kw: Any) -> Inbound:
    """An inbound text message."""
    return Inbound(text=t, **kw)


def press(payload: str) -> Inbound:
    """An inbound button press."""
    return Inbound(payload=payload)
