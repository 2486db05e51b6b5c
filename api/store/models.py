"""SQLModel tables: users, conversation state, logs, delivery queue, budgets and live content.

Each entity has a ``…Base`` model with its data fields and a ``table=True`` class adding keys and
timestamps. Timestamps are timezone-aware and stored as UTC; platform ids are text; JSON columns hold
plain dicts/lists. The tables live in :data:`metadata` (own naming convention, so constraint names are
stable for migrations), not in SQLModel's global metadata.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import JSON, BigInteger, Date, Float, Index, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

__all__ = [
    "CONTENT_VERSION_KEY",
    "AdminAccount",
    "AdminAccountBase",
    "AdminSession",
    "AnnounceDelivery",
    "AnnounceSubscription",
    "Announcement",
    "Attribution",
    "AuditEntry",
    "Completion",
    "ContentEntry",
    "ContentEntryBase",
    "ContentMeta",
    "ContentVersion",
    "Direction",
    "EventRow",
    "EventRowBase",
    "HandoffConversation",
    "HandoffHours",
    "HandoffMessage",
    "HandoffRequest",
    "HandoffRequestBase",
    "HandoffState",
    "HandoffStatus",
    "HelpRecord",
    "Invite",
    "KeyValue",
    "LoginAttempt",
    "Member",
    "MemberChat",
    "MessageLog",
    "MessageLogBase",
    "MessageSource",
    "OrgUnit",
    "Outbox",
    "OutboxBase",
    "OutboxStatus",
    "ProcessedUpdate",
    "RateBudget",
    "SessionState",
    "SupportPoint",
    "SupportWindow",
    "TableModel",
    "TeamLead",
    "Unanswered",
    "UnansweredBase",
    "UnansweredReason",
    "UnansweredStatus",
    "User",
    "UserBase",
    "metadata",
]

Direction = Literal["in", "out"]
MessageSource = Literal["user", "cli", "eval"]
UnansweredReason = Literal["fallback", "feedback_no", "clarify", "facet_missing", "out_of_scope"]
UnansweredStatus = Literal["open", "resolved", "dismissed"]
HandoffStatus = Literal["open", "done"]
#: A hand-off conversation: waiting (open, escalated), held by a person (claimed), or closed.
HandoffState = Literal["open", "escalated", "claimed", "closed"]
OutboxStatus = Literal["pending", "sending", "sent", "failed", "dead"]

#: ``ContentMeta`` key of the content version counter.
CONTENT_VERSION_KEY = "content_version"

#: Deterministic constraint and index names (Alembic needs names to alter or drop them later).
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class TableModel(SQLModel, registry=registry(metadata=metadata)):
    """Root of every model of this module: binds tables to :data:`metadata`."""


# Short enum-like texts; long or platform-given texts are TEXT.
_TAG = String(32)


class UserBase(TableModel):
    """A citizen as seen by one channel."""

    channel: str = Field(sa_type=_TAG)
    external_id: str = Field(sa_type=Text)


class User(UserBase, table=True):
    """A citizen, keyed by (channel, external id)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime
    last_seen_at: datetime


class SessionState(TableModel, table=True):
    """The conversation state of one user (``Session.to_dict()``)."""

    __tablename__ = "session_state"

    user_id: int = Field(primary_key=True, foreign_key="users.id", ondelete="CASCADE")
    data: dict[str, Any] = Field(sa_type=JSON)
    updated_at: datetime


class MessageLogBase(TableModel):
    """One message in or out, with masked text and what it matched."""

    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    direction: str = Field(sa_type=String(8))
    text: str | None = Field(default=None, sa_type=Text)
    payload: str | None = Field(default=None, sa_type=Text)
    match_kind: str | None = Field(default=None, sa_type=_TAG)
    match_id: str | None = Field(default=None, sa_type=Text)
    score: float | None = None
    source: str = Field(default="user", sa_type=String(8))


class MessageLog(MessageLogBase, table=True):
    """The masked message log."""

    __tablename__ = "message_log"
    __table_args__ = (Index(None, "user_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime


class EventRowBase(TableModel):
    """Something that happened in a turn (analytics)."""

    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    name: str = Field(sa_type=String(64))
    data: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    source: str = Field(default="user", sa_type=String(8))


class EventRow(EventRowBase, table=True):
    """An analytics event; ``user_id`` becomes NULL when the user's data is deleted."""

    __tablename__ = "events"
    __table_args__ = (Index(None, "name", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime


class UnansweredBase(TableModel):
    """A question the bot could not answer well."""

    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    question: str | None = Field(default=None, sa_type=Text)
    reason: str = Field(sa_type=String(16))
    entry_id: str | None = Field(default=None, sa_type=Text)
    score: float | None = None
    status: str = Field(default="open", sa_type=String(16))
    source: str = Field(default="user", sa_type=String(8))
    #: Who closed the question in the console, when, and how ("phrasing:faq/<id>", "dismissed"…).
    resolved_at: datetime | None = None
    resolved_by: str | None = Field(default=None, sa_type=String(64))
    resolution: str | None = Field(default=None, sa_type=Text)


class Unanswered(UnansweredBase, table=True):
    """The unanswered-questions inbox."""

    __tablename__ = "unanswered"
    __table_args__ = (Index(None, "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime


class HandoffRequestBase(TableModel):
    """A citizen asking to talk to an officer."""

    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    channel: str = Field(sa_type=_TAG)
    question: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default="open", sa_type=String(16))


class HandoffRequest(HandoffRequestBase, table=True):
    """A hand-off request for the officers' inbox."""

    __tablename__ = "handoff_requests"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime


class ProcessedUpdate(TableModel, table=True):
    """A platform update already handled (de-duplication across instances)."""

    __tablename__ = "processed_updates"
    __table_args__ = (Index(None, "created_at"),)

    channel: str = Field(primary_key=True, sa_type=_TAG)
    update_id: str = Field(primary_key=True, sa_type=Text)
    created_at: datetime


class OutboxBase(TableModel):
    """Something to send to a chat; ``body`` and ``context`` are opaque to the store."""

    channel: str = Field(sa_type=_TAG)
    chat_id: str = Field(sa_type=Text)
    body: Any = Field(sa_type=JSON)
    context: dict[str, Any] | None = Field(default=None, sa_type=JSON(none_as_null=True))


class Outbox(OutboxBase, table=True):
    """The delivery queue drained by the sender."""

    __tablename__ = "outbox"
    __table_args__ = (
        # Claims: each channel's due rows of one status, oldest first (migration 0003).
        Index(None, "channel", "status", "next_attempt_at"),
        # The sender's "older unsent rows of these chats" check (per-chat ordering).
        Index(None, "channel", "chat_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="pending", sa_type=String(16))
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime
    sent_at: datetime | None = None


class RateBudget(TableModel, table=True):
    """A fixed-window rate-limit counter shared by all instances."""

    __tablename__ = "rate_budget"

    key: str = Field(primary_key=True, sa_type=Text)
    window_start: int
    count: int


class ContentEntryBase(TableModel):
    """One content item (FAQ entry, flow, service…) as validated JSON."""

    kind: str = Field(primary_key=True, sa_type=_TAG)
    id: str = Field(primary_key=True, sa_type=String(128))
    data: dict[str, Any] = Field(sa_type=JSON)


class ContentEntry(ContentEntryBase, table=True):
    """Live content; ``seed_hash`` != ``current_hash`` means edited since the last seed."""

    __tablename__ = "content_entries"

    #: Hash of the YAML version last seeded (NULL for entries created in the admin).
    seed_hash: str | None = Field(default=None, sa_type=String(64))
    current_hash: str = Field(sa_type=String(64))
    source_file: str | None = Field(default=None, sa_type=Text)
    #: Order inside its source file (menus and exports keep the YAML order).
    position: int = 0
    updated_at: datetime
    updated_by: str = Field(default="seed", sa_type=String(64))
    #: Bumped by every save; an edit names the version it started from (migration 0004).
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class ContentMeta(TableModel, table=True):
    """Content bookkeeping (``content_version``)."""

    __tablename__ = "content_meta"

    key: str = Field(primary_key=True, sa_type=String(64))
    value: str = Field(sa_type=Text)


class KeyValue(TableModel, table=True):
    """Small shared state for channels (tokens, cursors)."""

    __tablename__ = "kv"

    key: str = Field(primary_key=True, sa_type=String(128))
    value: str = Field(sa_type=Text)
    updated_at: datetime


# -- the admin console --------------------------------------------------------------------------


class AdminAccountBase(TableModel):
    """A console account: admin, editor, member (a team member) or viewer."""

    username: str = Field(sa_type=String(64))
    display_name: str = Field(default="", sa_type=String(128))
    role: str = Field(sa_type=String(16))
    disabled: bool = False


class AdminAccount(AdminAccountBase, table=True):
    """A console account; the password is kept only as an argon2 hash."""

    __tablename__ = "admin_accounts"
    __table_args__ = (UniqueConstraint("username"),)

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(sa_type=Text)
    created_at: datetime
    updated_at: datetime


class AdminSession(TableModel, table=True):
    """A signed-in browser session or an API bearer token (only a hash of the secret is kept)."""

    __tablename__ = "admin_sessions"
    __table_args__ = (Index(None, "account_id"),)

    #: SHA-256 of the secret the client holds (cookie value or bearer token), hex.
    id: str = Field(primary_key=True, sa_type=String(64))
    kind: str = Field(sa_type=String(16))
    account_id: int = Field(foreign_key="admin_accounts.id", ondelete="CASCADE")
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    ip: str = Field(default="", sa_type=String(64))


class LoginAttempt(TableModel, table=True):
    """One sign-in attempt, for throttling per account and per address across instances."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index(None, "username", "at"), Index(None, "ip", "at"))

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_type=String(64))
    ip: str = Field(sa_type=String(64))
    ok: bool
    at: datetime


class AuditEntry(TableModel, table=True):
    """Who did what, when and from where: every change and every sign-in."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    account_id: int | None = Field(default=None, foreign_key="admin_accounts.id", ondelete="SET NULL")
    username: str = Field(sa_type=String(64))
    action: str = Field(sa_type=String(48))
    target: str = Field(default="", sa_type=Text)
    detail: dict[str, Any] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    ip: str = Field(default="", sa_type=String(64))


class ContentVersion(TableModel, table=True):
    """One saved version of a content item (every seed, edit, restore, import or deletion)."""

    __tablename__ = "content_versions"
    __table_args__ = (UniqueConstraint("kind", "entry_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=_TAG)
    entry_id: str = Field(sa_type=String(128))
    version: int
    #: The item as saved; NULL when this version deleted it.
    data: dict[str, Any] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    action: str = Field(sa_type=String(16))
    by: str = Field(sa_type=String(64))
    at: datetime


# -- community digital-technology teams (issue 13) -----------------------------------------------
#
# Counts only: no citizen's name, number or message is kept here. A citizen appears as a user id
# (attributions, completions), which becomes NULL when they delete their data; the row stays as an
# anonymous count.


class OrgUnit(TableModel, table=True):
    """A province, a commune or ward, or a team: a tree, named as the admin typed it."""

    __tablename__ = "org_units"
    __table_args__ = (Index(None, "parent_id"),)

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="org_units.id", ondelete="RESTRICT")
    level: str = Field(sa_type=String(16))
    name: str = Field(sa_type=String(200))
    created_at: datetime


class Invite(TableModel, table=True):
    """An invite code to join a team; only the SHA-256 of the code is kept."""

    __tablename__ = "invites"
    __table_args__ = (UniqueConstraint("code_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(sa_type=String(64))
    unit_id: int = Field(foreign_key="org_units.id", ondelete="CASCADE")
    expires_at: datetime
    max_uses: int
    uses: int = 0
    created_by: str = Field(default="", sa_type=String(64))
    created_at: datetime


class Member(TableModel, table=True):
    """A team member: a display name, a team, a referral code, optionally a console account."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("referral_code"), UniqueConstraint("account_id"), Index(None, "unit_id"))

    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(sa_type=String(128))
    unit_id: int = Field(foreign_key="org_units.id", ondelete="RESTRICT")
    account_id: int | None = Field(default=None, foreign_key="admin_accounts.id", ondelete="SET NULL")
    #: 8 random characters of A-Z a-z 0-9 _ (the ``-r`` suffix of a payload).
    referral_code: str = Field(sa_type=String(8))
    active: bool = True
    created_at: datetime


class MemberChat(TableModel, table=True):
    """A chat account linked to a member (a chat account belongs to at most one member)."""

    __tablename__ = "member_chats"
    __table_args__ = (Index(None, "member_id"),)

    channel: str = Field(primary_key=True, sa_type=_TAG)
    external_id: str = Field(primary_key=True, sa_type=Text)
    member_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    created_at: datetime


class Attribution(TableModel, table=True):
    """A citizen who first arrived through a member's link (first touch: one row per citizen)."""

    __tablename__ = "attributions"
    __table_args__ = (UniqueConstraint("user_id"), Index(None, "member_id", "at"))

    id: int | None = Field(default=None, primary_key=True)
    #: NULL once the citizen deleted their data (the count stays, anonymous).
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    member_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    at: datetime


class Completion(TableModel, table=True):
    """A guide a citizen said they finished, credited to the member who brought them."""

    __tablename__ = "completions"
    __table_args__ = (UniqueConstraint("user_id", "member_id", "flow"), Index(None, "member_id", "at"))

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    member_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    flow: str = Field(sa_type=_TAG)
    at: datetime


class HelpRecord(TableModel, table=True):
    """Help a member gave in person (install, level 1, level 2, a service): a count, no personal data."""

    __tablename__ = "help_records"
    __table_args__ = (Index(None, "member_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id", ondelete="CASCADE")
    kind: str = Field(sa_type=String(16))
    count: int
    at: datetime


# -- support points: where to get help in person (issue 14) ----------------------------------------
#
# Places and times an admin lists; nothing about citizens. Units are the post-2025 codes of the
# ``vietnam-provinces`` package (a province code and a commune or ward code, no districts).


class SupportPoint(TableModel, table=True):
    """A place where citizens get help in person: commune police, a one-stop desk, a mobile team…"""

    __tablename__ = "support_points"
    __table_args__ = (Index(None, "commune_code"), Index(None, "province_code"))

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200))
    kind: str = Field(sa_type=_TAG)
    address: str = Field(sa_type=Text)
    province_code: int
    commune_code: int
    lat: float = Field(sa_type=Float)
    lon: float = Field(sa_type=Float)
    #: What is done there: ``install``, ``level2``, ``card``, ``services``.
    services: list[str] = Field(default_factory=list, sa_type=JSON)
    #: What to bring, as the admin wrote it.
    bring: str = Field(default="", sa_type=Text)
    note: str = Field(default="", sa_type=Text)
    created_at: datetime
    updated_at: datetime
    updated_by: str = Field(default="", sa_type=String(64))


class SupportWindow(TableModel, table=True):
    """A time window of a support point: weekly (``weekday`` 0 = Monday) or on one date; local time."""

    __tablename__ = "support_windows"
    __table_args__ = (Index(None, "point_id"),)

    id: int | None = Field(default=None, primary_key=True)
    point_id: int = Field(foreign_key="support_points.id", ondelete="CASCADE")
    weekday: int | None = None
    on_date: date | None = Field(default=None, sa_type=Date)
    #: ``HH:MM`` in Asia/Ho_Chi_Minh.
    start: str = Field(sa_type=String(5))
    end: str = Field(sa_type=String(5))


class HandoffConversation(TableModel, table=True):
    """A citizen's conversation handed to a person: waiting (open, escalated), held (claimed), or closed.

    ``chat_id`` and ``context`` say where staff replies go through the outbox (NULL for the web chat,
    whose page fetches them). ``due_at`` is when an unclaimed hand-off is escalated.
    """

    __tablename__ = "handoffs"
    __table_args__ = (Index(None, "status", "due_at"), Index(None, "user_id", "status"))

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    channel: str = Field(sa_type=_TAG)
    chat_id: str | None = Field(default=None, sa_type=Text)
    context: dict[str, Any] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    unit_id: int | None = Field(default=None, foreign_key="org_units.id", ondelete="SET NULL")
    reason: str = Field(sa_type=_TAG)
    status: str = Field(default="open", sa_type=String(16))
    claimed_by: str | None = Field(default=None, sa_type=String(64))
    claimed_at: datetime | None = None
    due_at: datetime
    escalated_at: datetime | None = None
    closed_by: str | None = Field(default=None, sa_type=String(64))
    closed_at: datetime | None = None
    created_at: datetime


class HandoffMessage(TableModel, table=True):
    """One line of a hand-off: the citizen's (masked), a staff member's, or the bot's own."""

    __tablename__ = "handoff_messages"
    __table_args__ = (Index(None, "handoff_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    handoff_id: int = Field(foreign_key="handoffs.id", ondelete="CASCADE")
    author: str = Field(sa_type=String(16))
    staff: str | None = Field(default=None, sa_type=String(64))
    text: str = Field(sa_type=Text)
    created_at: datetime


class HandoffHours(TableModel, table=True):
    """A unit's office hours (weekday → ``"HH:MM-HH:MM"`` windows, Vietnam time) and pick-up time."""

    __tablename__ = "handoff_hours"

    unit_id: int = Field(primary_key=True, foreign_key="org_units.id", ondelete="CASCADE")
    schedule: dict[str, Any] = Field(sa_type=JSON)
    pickup_minutes: int
    updated_at: datetime


# -- team leads (issue 13) ----------------------------------------------------------------------------


class TeamLead(TableModel, table=True):
    """A member who leads their team: sees every member of the team's counts (counts only).

    A lead leads the team they are in: moving the member to another team or removing them ends it.
    """

    __tablename__ = "team_leads"

    member_id: int = Field(primary_key=True, foreign_key="members.id", ondelete="CASCADE")
    appointed_by: str = Field(default="", sa_type=String(64))
    appointed_at: datetime


# -- hand-off staff: units, the staff Telegram group (issue 14, second part) -----------------------
#
# Who answers for which unit, which Telegram user is which console account, and where each
# citizen's hand-offs are discussed in the staff group (a forum topic, or a root message and its
# replies). A citizen's rows go with the citizen.


class HandoffStaff(TableModel, table=True):
    """A console account on duty for a unit's hand-offs (that unit and every unit below it)."""

    __tablename__ = "handoff_staff"
    __table_args__ = (Index(None, "unit_id"),)

    account_id: int = Field(primary_key=True, foreign_key="admin_accounts.id", ondelete="CASCADE")
    unit_id: int = Field(foreign_key="org_units.id", ondelete="CASCADE")
    created_at: datetime


class StaffTelegram(TableModel, table=True):
    """A Telegram user linked to a console account (``/lienket CODE`` in the staff group)."""

    __tablename__ = "staff_telegram"
    __table_args__ = (UniqueConstraint("account_id"),)

    telegram_user_id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    account_id: int = Field(foreign_key="admin_accounts.id", ondelete="CASCADE")
    created_at: datetime


class HandoffThread(TableModel, table=True):
    """A citizen's place in the staff group: a forum topic (``thread_id``) or a root message."""

    __tablename__ = "handoff_threads"
    __table_args__ = (UniqueConstraint("group_chat_id", "user_id"), Index(None, "group_chat_id", "thread_id"))

    id: int | None = Field(default=None, primary_key=True)
    group_chat_id: int = Field(sa_type=BigInteger)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    thread_id: int | None = Field(default=None, sa_type=BigInteger)
    root_message_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime


class HandoffGroupPost(TableModel, table=True):
    """A message the bot posted in the staff group about a citizen (a staff reply to it reaches them)."""

    __tablename__ = "handoff_group_posts"

    group_chat_id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    message_id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")


# -- the dashboard (issue 14) ------------------------------------------------------------------------
#
# No table of its own: the dashboard counts rows of the tables above. Its scans of the message log
# read this covering index instead of the table (migration 0011).

Index("ix_message_log_dashboard", MessageLog.__table__.c.direction, MessageLog.__table__.c.created_at,  # type: ignore[attr-defined]
      MessageLog.__table__.c.user_id, MessageLog.__table__.c.source,  # type: ignore[attr-defined]
      MessageLog.__table__.c.match_kind, MessageLog.__table__.c.match_id)  # type: ignore[attr-defined]


# -- announcements by commune (api/announce) ------------------------------------------------------


class AnnounceSubscription(TableModel, table=True):
    """A citizen's answer to «receive your commune's announcements?»: one row per user.

    ``status``: ``asked`` (offered once, not answered yet), ``declined``, ``active``, ``stopped``
    (opted out), ``blocked`` (the platform says the citizen blocked the bot), ``left`` (the chat is
    gone). Only ``active`` rows receive announcements; the row itself records that the citizen was
    asked, so the offer is never repeated. ``chat_id``/``context`` say where to send (NULL chat for
    the web chat, whose page fetches). Gone with the user (``ON DELETE CASCADE``).
    """

    __tablename__ = "announce_subscriptions"
    __table_args__ = (UniqueConstraint("user_id"), Index(None, "status", "commune_code"))

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    channel: str = Field(sa_type=_TAG)
    chat_id: str | None = Field(default=None, sa_type=Text)
    context: dict[str, Any] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    commune_code: int | None = None
    province_code: int | None = None
    status: str = Field(default="asked", sa_type=String(16))
    asked_at: datetime
    updated_at: datetime


class Announcement(TableModel, table=True):
    """An announcement written in the console: text, optional image and buttons, targets, schedule.

    ``communes`` lists commune/ward codes (empty: every subscriber). ``status``: ``draft``,
    ``scheduled`` (due at ``send_at``), ``sending``, ``done``, ``cancelled``.
    """

    __tablename__ = "announcements"
    __table_args__ = (Index(None, "status", "send_at"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_type=String(120))
    text: str = Field(sa_type=Text)
    image_url: str | None = Field(default=None, sa_type=Text)
    #: ``[{"label", "payload"}]``: a guide (``f-<flow>``) or a support point (``sp-w-<commune>``).
    buttons: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON)
    communes: list[int] = Field(default_factory=list, sa_type=JSON)
    status: str = Field(default="draft", sa_type=String(16))
    send_at: datetime | None = None
    created_by: str = Field(sa_type=String(64))
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class AnnounceDelivery(TableModel, table=True):
    """One recipient of one announcement: the truth about what was sent (a restart resumes from it).

    ``status``: ``pending``, ``sending`` (claimed under a lease until ``lease_until``), ``sent``,
    ``failed`` (gave up), ``blocked``, ``left``. Unique per (announcement, user): a recipient is
    listed once, so a repeated listing adds nobody twice.
    """

    __tablename__ = "announce_deliveries"
    __table_args__ = (
        UniqueConstraint("announcement_id", "user_id"),
        Index(None, "announcement_id", "status", "next_attempt_at"),
        Index(None, "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    announcement_id: int = Field(foreign_key="announcements.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    channel: str = Field(sa_type=_TAG)
    chat_id: str | None = Field(default=None, sa_type=Text)
    context: dict[str, Any] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    status: str = Field(default="pending", sa_type=String(16))
    attempts: int = 0
    next_attempt_at: datetime
    lease_until: datetime | None = None
    last_error: str | None = Field(default=None, sa_type=Text)
    sent_at: datetime | None = None
    updated_at: datetime
