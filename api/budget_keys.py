"""The names of the shared rate budgets (``rate_budget.key``), kept in one place.

Budgets keyed by a citizen's id must be found again when that citizen asks for their data to be
deleted (:func:`keyed_to_user`), so every route and sender builds its keys here.
"""

from __future__ import annotations

__all__ = ["TEAM_JOIN_ALL", "TELEGRAM_ALL", "address", "keyed_to_user", "team_join", "telegram_chat", "telegram_group", "user"]


def user(channel: str, external_id: str) -> str:
    """Messages a citizen may send per minute on ``channel`` (the chat API is channel ``web``)."""
    return f"{channel}:u:{external_id}"


def address(client_ip: str) -> str:
    """Messages per minute from one client address (the chat API)."""
    return f"ip:{client_ip}"


#: Messages the bot may send per second to all of Telegram (about 30): the replies' budget, which a
#: broadcast reads so that replies and announcements together stay within the bot's limit.
TELEGRAM_ALL = "tg:global"


def telegram_chat(chat_id: str) -> str:
    """Messages the bot may send to one Telegram chat (about one a second)."""
    return f"tg:chat:{chat_id}"


def telegram_group(chat_id: str) -> str:
    """Messages the bot may send to one Telegram group (20 a minute)."""
    return f"tg:group:{chat_id}"


def keyed_to_user(channel: str, external_id: str) -> list[str]:
    """Every budget key that names this user (deleted with the user's data)."""
    keys = [user(channel, external_id), team_join(channel, external_id)]
    if channel == "telegram":  # the user key of a Telegram conversation is its chat id
        keys += [telegram_chat(external_id), telegram_group(external_id)]
    return keys


def team_join(channel: str, external_id: str) -> str:
    """``/thamgia`` attempts of one chat account (invite-code guesses)."""
    return f"team:join:{channel}:{external_id}"


#: ``/thamgia`` attempts across the whole bot (many accounts guessing together).
TEAM_JOIN_ALL = "team:join:all"
