"""The pure Telegram adapter: Update → Incoming, replies → Bot API calls (no network)."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, Update

from bot.channels.telegram import (
    CALLBACK_DATA_MAX,
    CALLBACK_KEY_PREFIX,
    AnswerCallback,
    EditText,
    Ignored,
    Incoming,
    SendPhoto,
    SendText,
    absolute_url,
    callback_data,
    render,
    split_text,
    translate,
    translate_json,
    utf16_len,
)
from bot.core import texts
from bot.core.types import Button, Image, Reply, ReplyRole
from tests.fakes.telegram_api import (
    BOT_ID,
    BOT_USERNAME,
    callback_update,
    edited_update,
    media_update,
    mention_entities,
    message_update,
    my_chat_member_update,
)

BASE = "https://troly06.example.gov.vn"


def tr(data: dict[str, Any]) -> Incoming | Ignored:
    """What the bot makes of an update; the webhook's JSON fast path must agree whenever it answers."""
    expected = translate(Update.de_json(data, None), bot_id=BOT_ID, bot_username=BOT_USERNAME)
    fast = translate_json(data, bot_username=BOT_USERNAME)
    assert fast is None or fast == expected
    return expected


def body(*replies: Reply, kind: str = "faq") -> dict[str, Any]:
    return {"replies": [r.to_dict() for r in replies], "match": {"kind": kind, "id": None, "score": None}}


# --- inbound ----------------------------------------------------------------------------------


def test_private_text_becomes_text() -> None:
    inc = tr(message_update(42, "quên mật khẩu VNeID", update_id=7))
    assert isinstance(inc, Incoming)
    assert (inc.text, inc.payload, inc.media, inc.chat_id, inc.dedup_id) == ("quên mật khẩu VNeID", None, None, 42, "7")
    assert inc.context() == {"chat_type": "private"}


def test_start_with_payload_is_passed_to_the_core_as_text() -> None:
    inc = tr(message_update(42, "/start f-l2"))
    assert isinstance(inc, Incoming) and inc.text == "/start f-l2"


def test_main_menu_reply_keyboard_label_maps_to_its_payload() -> None:
    button = texts.MAIN_MENU[1]
    inc = tr(message_update(42, button.label))
    assert isinstance(inc, Incoming) and inc.payload == button.payload and inc.text is None


def test_callback_query_carries_payload_answer_id_and_editable_message() -> None:
    data = callback_update(42, "f-l2-card", message_id=91)
    inc = tr(data)
    assert isinstance(inc, Incoming)
    assert inc.payload == "f-l2-card" and inc.callback_query_id == data["callback_query"]["id"]
    assert inc.context() == {"chat_type": "private", "cq": inc.callback_query_id, "edit": 91}


def test_callback_on_a_photo_message_is_not_editable() -> None:
    inc = tr(callback_update(42, "menu", message_text=None))
    assert isinstance(inc, Incoming) and "edit" not in inc.context()


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "document", "video"])
def test_unreadable_media_is_named(kind: str) -> None:
    inc = tr(media_update(42, kind))
    assert isinstance(inc, Incoming) and inc.media == kind and inc.text is None


def test_photo_caption_is_read_as_text() -> None:
    inc = tr(media_update(42, "photo", caption="lỗi này là sao"))
    assert isinstance(inc, Incoming) and inc.media == "photo" and inc.text == "lỗi này là sao"


def test_edited_messages_and_unknown_updates_are_ignored() -> None:
    assert tr(edited_update(42, "sửa lại")) == Ignored("edited")
    assert tr(my_chat_member_update(42)) == Ignored("unsupported_update")
    assert tr({"update_id": 5}) == Ignored("unsupported_update")


def test_messages_from_bots_are_ignored() -> None:
    data = message_update(42, "hi")
    data["message"]["from"]["is_bot"] = True
    assert tr(data) == Ignored("from_bot")


def test_group_message_not_addressed_is_ignored() -> None:
    assert tr(message_update(-100, "ai biết làm mức 2 không", chat_type="supergroup", user_id=5)) == Ignored(
        "not_addressed"
    )


def test_group_mention_is_answered_without_the_mention() -> None:
    text = f"@{BOT_USERNAME} làm mức 2 ở đâu"
    inc = tr(message_update(-100, text, chat_type="supergroup", user_id=5, entities=mention_entities(text)))
    assert isinstance(inc, Incoming) and inc.text == "làm mức 2 ở đâu" and inc.chat_id == -100


def test_group_reply_to_the_bot_is_answered() -> None:
    inc = tr(message_update(-100, "còn iPhone thì sao", chat_type="group", user_id=5, reply_to_bot=True))
    assert isinstance(inc, Incoming) and inc.text == "còn iPhone thì sao"


def test_group_command_for_this_bot_only() -> None:
    inc = tr(message_update(-100, f"/menu@{BOT_USERNAME}", chat_type="supergroup", user_id=5))
    assert isinstance(inc, Incoming) and inc.text == f"/menu@{BOT_USERNAME}"
    assert tr(message_update(-100, "/menu@other_bot", chat_type="supergroup", user_id=5)) == Ignored("not_addressed")
    assert tr(message_update(-100, "/menu", chat_type="supergroup", user_id=5)) == Ignored("not_addressed")


def test_service_messages_are_ignored() -> None:
    data = message_update(-100, None, chat_type="group", new_chat_title="Tổ 5")
    assert tr(data) == Ignored("service_message")


def test_json_fast_path_takes_private_text_and_button_presses() -> None:
    for data in (
        message_update(42, "quên mật khẩu VNeID"),
        message_update(42, "/start f-l2"),
        message_update(42, texts.MAIN_MENU[1].label),
        message_update(42, "/menu@other_bot"),
        callback_update(42, "f-l2-card"),
        callback_update(42, "menu", message_text=None),
    ):
        fast = translate_json(data, bot_username=BOT_USERNAME)
        assert fast is not None and fast == tr(data)


def _without(data: dict[str, Any], *path: str) -> dict[str, Any]:
    node = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return data


def _with(data: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(message_update(-100, "@troly06_bot mức 2", chat_type="supergroup", user_id=5), id="group"),
        pytest.param(media_update(42, "photo", caption="lỗi"), id="caption"),
        pytest.param(media_update(42, "voice"), id="media"),
        pytest.param(edited_update(42, "sửa"), id="edited"),
        pytest.param(my_chat_member_update(42), id="member"),
        pytest.param({"update_id": 5}, id="empty"),
        pytest.param({"update_id": True, "message": {}}, id="bool-id"),
        pytest.param(_with(message_update(42, "hi"), "x", "message", "chat", "id"), id="chat-id-text"),
        pytest.param(_with(message_update(42, "hi"), 5, "message", "text"), id="text-number"),
        pytest.param(_without(message_update(42, "hi"), "message", "date"), id="no-date"),
        pytest.param(_without(message_update(42, "hi"), "message", "from", "first_name"), id="user-no-name"),
        pytest.param(_with(message_update(42, "hi"), 1, "message", "from", "is_bot"), id="is-bot-number"),
        pytest.param(_with(message_update(42, "hi"), {}, "edited_message"), id="two-kinds"),
        pytest.param(_without(callback_update(42, "menu"), "callback_query", "chat_instance"), id="cq-no-instance"),
        pytest.param(_without(callback_update(42, "menu"), "callback_query", "data"), id="cq-no-data"),
        pytest.param(_with(callback_update(42, "menu"), 0, "callback_query", "message", "date"), id="cq-old"),
        pytest.param(_with(callback_update(42, "menu"), [], "callback_query", "message", "from"), id="cq-bad-from"),
    ],
)
def test_json_fast_path_leaves_everything_else_to_python_telegram_bot(data: dict[str, Any]) -> None:
    assert translate_json(data, bot_username=BOT_USERNAME) is None


# --- outbound ---------------------------------------------------------------------------------


def test_text_is_html_escaped() -> None:
    plan = render(body(Reply("Bạn gõ <b>đậm</b> & <script>")), {"chat_type": "private"}, public_base_url=BASE)
    (op,) = plan.ops
    assert isinstance(op, SendText)
    assert op.text == "Bạn gõ &lt;b&gt;đậm&lt;/b&gt; &amp; &lt;script&gt;" and op.parse_mode == "HTML"


def test_buttons_become_an_inline_keyboard_one_per_row() -> None:
    reply = Reply("Chọn", (Button("Đã có thẻ", "f-l2-go"), Button("Về menu chính", "menu")))
    (op,) = render(body(reply), {"chat_type": "private"}, public_base_url=BASE).ops
    assert isinstance(op, SendText) and isinstance(op.markup, InlineKeyboardMarkup)
    rows = op.markup.inline_keyboard
    assert [[(b.text, b.callback_data) for b in row] for row in rows] == [
        [("Đã có thẻ", "f-l2-go")], [("Về menu chính", "menu")]
    ]


def test_main_menu_is_a_reply_keyboard_in_private_chats_only() -> None:
    reply = Reply(texts.MENU_TEXT, texts.MAIN_MENU)
    (op,) = render(body(reply, kind="menu"), {"chat_type": "private"}, public_base_url=BASE).ops
    assert isinstance(op, SendText) and isinstance(op.markup, ReplyKeyboardMarkup)
    labels = [b.text for row in op.markup.keyboard for b in row]
    assert labels == [b.label for b in texts.MAIN_MENU] and op.markup.resize_keyboard
    (group_op,) = render(body(reply, kind="menu"), {"chat_type": "group"}, public_base_url=BASE).ops
    assert isinstance(group_op, SendText) and isinstance(group_op.markup, InlineKeyboardMarkup)


def test_long_payloads_go_through_the_database() -> None:
    long_payload = "q-" + "x" * 70
    data, stored = callback_data(long_payload)
    assert stored and data.startswith(CALLBACK_KEY_PREFIX) and len(data.encode()) <= CALLBACK_DATA_MAX
    assert callback_data("f-l2-card") == ("f-l2-card", False)
    plan = render(body(Reply("x", (Button("Dài", long_payload),))), {}, public_base_url=BASE)
    assert plan.callback_payloads == {data: long_payload}


def test_callback_is_answered_first_and_a_flow_press_edits_the_message() -> None:
    ctx = {"chat_type": "private", "cq": "cq1", "edit": 91}
    step = Reply("Bước 2", (Button("Xong", "f-l2-done"),))
    ops = render(body(step, kind="flow"), ctx, public_base_url=BASE).ops
    assert ops[0] == AnswerCallback("cq1")
    assert isinstance(ops[1], EditText) and ops[1].message_id == 91 and ops[1].text == "Bước 2"
    assert isinstance(ops[1].markup, InlineKeyboardMarkup) and len(ops) == 2


def test_a_press_outside_a_flow_sends_a_new_message() -> None:
    ctx = {"chat_type": "private", "cq": "cq1", "edit": 91}
    ops = render(body(Reply("Câu trả lời"), kind="faq"), ctx, public_base_url=BASE).ops
    assert ops[0] == AnswerCallback("cq1") and isinstance(ops[1], SendText)


def test_only_the_main_reply_is_edited() -> None:
    ctx = {"chat_type": "private", "cq": "cq1", "edit": 91}
    note = Reply("Ghi chú", role=ReplyRole.NOTE)
    ops = render(body(note, Reply("Bước 2"), kind="flow"), ctx, public_base_url=BASE).ops
    assert [type(o) for o in ops] == [AnswerCallback, SendText, EditText]


def test_long_text_is_split_at_paragraphs_with_the_keyboard_on_the_last_part() -> None:
    paragraphs = [f"Đoạn {i}: " + "chữ " * 200 for i in range(12)]
    reply = Reply("\n\n".join(paragraphs), (Button("Về menu chính", "menu"),))
    ops = render(body(reply), {"chat_type": "private"}, public_base_url=BASE).ops
    assert len(ops) >= 3
    assert all(isinstance(o, SendText) and utf16_len(o.text) <= 4096 for o in ops)
    assert all(isinstance(o, SendText) and o.text.startswith("Đoạn") for o in ops)
    assert [o.markup is not None for o in ops if isinstance(o, SendText)] == [False] * (len(ops) - 1) + [True]
    assert "".join(o.text for o in ops if isinstance(o, SendText)).count("Đoạn") == 12


def test_split_counts_utf16_and_falls_back_to_lines_words_and_hard_cuts() -> None:
    assert split_text("") == []
    assert split_text("a\nb", limit=10) == ["a\nb"]
    lines = split_text("\n".join(["dòng " * 5] * 10), limit=60)
    assert all(len(p) <= 60 for p in lines) and all(not p.startswith(" ") for p in lines)
    emoji = split_text("🙂" * 50, limit=20)
    assert all(utf16_len(p) <= 20 for p in emoji) and "".join(emoji) == "🙂" * 50
    hard = split_text("x" * 25, limit=10)
    assert hard == ["x" * 10, "x" * 10, "x" * 5]


def test_photo_with_short_text_uses_a_caption_and_an_absolute_url() -> None:
    reply = Reply("Mở ứng dụng", (Button("Xong", "f-x-b"),), images=(Image("/static/flows/a.png", "Màn hình"),))
    (op,) = render(body(reply, kind="flow"), {}, public_base_url=BASE + "/").ops
    assert isinstance(op, SendPhoto)
    assert op.photo == BASE + "/static/flows/a.png" and op.caption == "Mở ứng dụng" and op.markup is not None
    assert op.fallback == SendText("Mở ứng dụng", op.markup)


def test_photo_with_long_text_is_photo_then_text() -> None:
    reply = Reply("dài " * 400, (Button("Xong", "f-x-b"),), images=(Image("/static/flows/a.png", "Màn hình"),))
    ops = render(body(reply, kind="flow"), {}, public_base_url=BASE).ops
    assert isinstance(ops[0], SendPhoto) and ops[0].caption is None and ops[0].markup is None
    assert isinstance(ops[1], SendText) and ops[1].markup is not None


def test_absolute_url_keeps_absolute_urls() -> None:
    assert absolute_url("https://cdn.example/x.png", BASE) == "https://cdn.example/x.png"
    assert absolute_url("static/x.png", "http://h:8000") == "http://h:8000/static/x.png"
