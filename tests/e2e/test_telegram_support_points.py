"""Support points on Telegram (fake Bot API on loopback): the question, the location button, a location message."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from api.store.models import MessageLog
from api.support import repo
from bot.core.support import Window
from tests.e2e.telegram_harness import TelegramApp
from tests.e2e.test_telegram_webhook import new_chat, sent
from tests.fakes.telegram_api import message_update
from tests.support.factories import HAI_CHAU

SPOT = (16.0612, 108.2234)  # made up, in Đà Nẵng


async def test_question_then_location_message(telegram: TelegramApp) -> None:
    now = dt.datetime.now(dt.UTC)
    with telegram.store.unit() as unit:
        repo.create_point(unit, repo.PointData(
            name="Điểm thử Telegram", kind="one_stop", address="Số 2 đường Thử", commune_code=HAI_CHAU,
            lat=SPOT[0], lon=SPOT[1], services=("level2",), bring="Thẻ căn cước",
            windows=tuple(Window(d, None, dt.time(0), dt.time(23, 59)) for d in range(7))), by="t", now=now)
    chat = new_chat()
    await telegram.post(message_update(chat, "mức 2 làm ở đâu"))
    main, ask = await sent(telegram.fake, chat, 2)
    assert "Công an cấp xã" in main.params["text"] and "inline_keyboard" in main.params["reply_markup"]
    (button,) = [b for row in ask.params["reply_markup"]["keyboard"] for b in row]
    assert button["request_location"] is True and ask.params["reply_markup"]["one_time_keyboard"] is True
    before = len(telegram.fake.calls("sendMessage", chat_id=chat))
    here = (SPOT[0] + 0.00217, SPOT[1] - 0.00031)
    r = await telegram.post(message_update(chat, None, location={"latitude": here[0], "longitude": here[1]}))
    assert r.status_code == 200
    calls = await sent(telegram.fake, chat, before + 1)
    text = calls[before].params["text"]
    assert "Điểm thử Telegram (cách" in text and "Mang theo: Thẻ căn cước" in text
    with telegram.store.unit(readonly=True) as unit:
        logged = [(m.text or "", m.payload or "") for m in unit.session.exec(select(MessageLog))]
    assert ("<vị trí>", "") in logged
    assert not any(f"{here[0]:.4f}"[:6] in t + p or f"{here[1]:.3f}" in t + p for t, p in logged)
