"""Messages staff write in the staff Telegram group (see :mod:`api.handoff.group`).

One call per group message, in the webhook's transaction (the update's dedup row included): what it
changes, and the answers it queues for the group, commit together. Staff never see an error page:
each refusal is a short answer in the same topic or thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from api.console.security import Principal, audit
from api.errors import Conflict, NotFound
from api.handoff import repo, staff
from api.handoff.group import command_of, user_for_post, user_for_thread
from api.handoff.routes import HANDLERS, Env, _claim, _close, _reply
from api.handoff.scope import scope_for_account
from api.store import Unit

__all__ = ["GroupOutcome", "handle_message"]

GroupOutcome = Literal["linked", "replied", "closed", "refused", "ignored"]
_IP = "telegram"
LINK_HELP = ("Bạn chưa liên kết Telegram với tài khoản quản trị. Vào trang «Người dân cần hỗ trợ», bấm "
             "«Lấy mã liên kết Telegram», rồi gõ /lienket MÃ tại đây.")


def _int(value: object) -> int | None:
    return value if type(value) is int else None


def handle_message(unit: Unit, message: Mapping[str, Any], *, group_chat_id: int, bot_username: str, env: Env,
                   now: dt.datetime) -> GroupOutcome:
    """Act on one message of the staff group and queue the answer; what happened."""
    sender = message.get("from")
    text = message.get("text")
    message_id = _int(message.get("message_id"))
    if not isinstance(sender, Mapping) or sender.get("is_bot") or not isinstance(text, str) or message_id is None:
        return "ignored"
    tg_user = _int(sender.get("id"))
    if tg_user is None:
        return "ignored"
    thread_id = _int(message.get("message_thread_id")) if message.get("is_topic_message") else None
    poster = env.shell.group

    def answer(note: str) -> None:
        poster.post(unit, user_id=None, text=note, reply_to=message_id, thread_id=thread_id, now=now)

    command = command_of(text, bot_username)
    if command is not None and command[0] == "/lienket":
        linked = staff.redeem_link_code(unit, code=command[1], telegram_user_id=tg_user, now=now)
        if linked is None:
            answer("Mã liên kết không đúng, đã dùng hoặc đã hết hạn. Lấy mã mới ở trang «Người dân cần hỗ trợ».")
            return "refused"
        audit(unit, who=None, username=linked.username, action="handoff.telegram_link", target=str(tg_user),
              ip=_IP, now=now)
        answer(f"✅ Đã liên kết Telegram của bạn với tài khoản {linked.username}. "
               "Trả lời trong chủ đề của người dân để nhận và trả lời; /dong để kết thúc.")
        return "linked"
    user_id = user_for_thread(unit, group_chat_id=group_chat_id, thread_id=thread_id) if thread_id else None
    reply_to = message.get("reply_to_message")
    if user_id is None and isinstance(reply_to, Mapping) and _int(reply_to.get("message_id")) is not None:
        user_id = user_for_post(unit, group_chat_id=group_chat_id, message_id=int(reply_to["message_id"]))
    if user_id is None:
        return "ignored"  # ordinary talk in the group
    account = staff.account_for_telegram(unit, tg_user)
    if account is None:
        answer(LINK_HELP)
        return "refused"
    if account.role not in HANDLERS:
        answer(f"Tài khoản {account.username} chỉ được xem, không trả lời người dân.")
        return "refused"
    view = repo.active_for_user(unit, user_id)
    scope = scope_for_account(unit, account_id=account.account_id, role=account.role)
    if view is None or not scope.allows(view.unit_id):
        answer("Không có yêu cầu hỗ trợ nào đang mở của người dân này mà bạn phụ trách "
               "(đã kết thúc, hoặc thuộc đơn vị khác).")
        return "refused"
    who = Principal(account.account_id, account.username, account.username, account.role,
                    session_id="telegram", via="telegram", csrf="")
    try:
        if command is not None and command[0] == "/dong":
            _close(unit, view.id, who, _IP, now, env)
            return "closed"
        if command is not None:
            answer("Lệnh này không dùng được ở đây. Gõ nội dung để trả lời người dân, hoặc /dong để kết thúc.")
            return "refused"
        if view.status in ("open", "escalated"):
            _claim(unit, view.id, who, _IP, now, env)
        _reply(unit, view.id, text.strip()[:2000], who, _IP, now, env, mirror=False)
    except (NotFound, Conflict):
        current = repo.get(unit, view.id)
        holder = current.claimed_by if current is not None else None
        answer(f"Cuộc trò chuyện này đang do {holder} hỗ trợ; tin của bạn chưa được gửi cho người dân."
               if holder else "Yêu cầu này đã kết thúc; tin của bạn chưa được gửi cho người dân.")
        return "refused"
    return "replied"
