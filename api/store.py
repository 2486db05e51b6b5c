"""The store: repositories over SQLite or PostgreSQL, one transaction per :class:`Unit`.

``with store.unit() as u:`` opens one transaction; it commits when the block ends and rolls back
when it raises. Every method of :class:`Unit` takes keyword-only arguments and is safe with several
app instances on one PostgreSQL database: uniqueness races are settled by ``INSERT … ON CONFLICT``,
sessions are read ``FOR UPDATE`` and the outbox is claimed with ``FOR UPDATE SKIP LOCKED``. On SQLite a
unit starts with ``BEGIN IMMEDIATE`` (one writer at a time, others wait on the busy timeout), so the
same code is correct there without row locks. Timestamps passed in must be timezone-aware.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, case, cast, delete, func, insert, update
from sqlalchemy import Integer as SAInteger
from sqlalchemy import String as SAString
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlmodel import Session, SQLModel, col, select

from api.db import SQLITE_BEGIN_OPTION
from api.models import (
    CONTENT_VERSION_KEY,
    ContentEntry,
    ContentMeta,
    Direction,
    EventRow,
    HandoffRequest,
    KeyValue,
    MessageLog,
    MessageSource,
    Outbox,
    ProcessedUpdate,
    RateBudget,
    SessionState,
    Unanswered,
    UnansweredReason,
    User,
)

__all__ = ["ContentRowView", "OutboxItem", "Store", "Unit"]

#: Statuses the sender may pick up (a 'sending' row is picked up again once its lease ran out).
_CLAIMABLE = ("pending", "failed", "sending")


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """An outbox row claimed for sending; ``attempts`` counts this attempt too."""

    id: int
    channel: str
    chat_id: str
    body: Any
    context: dict[str, Any] | None
    attempts: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ContentRowView:
    """One live content item as the core and the admin see it."""

    kind: str
    id: str
    data: dict[str, Any]
    updated_at: datetime
    updated_by: str
    source_file: str | None
    position: int
    seed_hash: str | None
    current_hash: str

    @property
    def edited(self) -> bool:
        """True when the row differs from what was last seeded from YAML."""
        return self.seed_hash != self.current_hash


class Store:
    """Owns the engine; hands out units of work."""

    def __init__(self, engine: Engine) -> None:
        """Wrap an engine built by :func:`api.db.make_engine` (already migrated)."""
        self._engine = engine

    @property
    def engine(self) -> Engine:
        """The underlying engine."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    @contextmanager
    def unit(self, *, readonly: bool = False) -> Iterator[Unit]:
        """One transaction: commit on success, roll back on exception.

        ``readonly`` only matters on SQLite, where it starts a deferred transaction that does not
        queue behind writers.
        """
        options = {SQLITE_BEGIN_OPTION: "DEFERRED" if readonly else "IMMEDIATE"}
        session = Session(self._engine, expire_on_commit=False, execution_options=options)
        try:
            yield Unit(session, self.dialect)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close pooled connections."""
        self._engine.dispose()


class Unit:
    """Repository methods running inside one transaction."""

    def __init__(self, session: Session, dialect: str) -> None:
        """Bind to an open session; use :meth:`Store.unit` instead of calling this."""
        self._s = session
        self._pg = dialect == "postgresql"

    @property
    def session(self) -> Session:
        """The SQLModel session, for queries no method covers yet (admin views)."""
        return self._s

    def _insert(self, model: type[SQLModel]) -> pg.Insert | sqlite_dialect.Insert:
        return pg.insert(model) if self._pg else sqlite_dialect.insert(model)

    # -- locks --------------------------------------------------------------------------------

    def advisory_lock(self, *, name: str) -> None:
        """Serialise this transaction with others taking the same lock (no-op on SQLite)."""
        if self._pg:
            self._s.exec(select(func.pg_advisory_xact_lock(zlib.crc32(name.encode()))))

    # -- users and sessions -------------------------------------------------------------------

    def get_or_create_user(self, *, channel: str, external_id: str, now: datetime) -> int:
        """Id of the user (channel, external_id), created if new; touches ``last_seen_at``."""
        ins = self._insert(User).values(
            channel=channel, external_id=external_id, created_at=now, last_seen_at=now
        )
        # DO UPDATE (not DO NOTHING) so the row comes back even when another transaction made it.
        stmt = ins.on_conflict_do_update(
            index_elements=[col(User.channel), col(User.external_id)],
            set_={"last_seen_at": ins.excluded.last_seen_at},
        ).returning(col(User.id))
        user_id: int = self._s.exec(stmt).scalar_one()
        return user_id

    def find_user(self, *, channel: str, external_id: str) -> int | None:
        """Id of the user (channel, external_id), or None."""
        return self._s.exec(
            select(User.id).where(col(User.channel) == channel, col(User.external_id) == external_id)
        ).first()

    def load_session(self, *, user_id: int, lock: bool = True) -> dict[str, Any] | None:
        """The stored session dict (``Session.to_dict()``), locked for this transaction on PostgreSQL.

        A first turn has no row to lock; :meth:`get_or_create_user` already locked the user row.
        """
        query = select(SessionState.data).where(col(SessionState.user_id) == user_id)
        if lock and self._pg:
            query = query.with_for_update()
        data = self._s.exec(query).first()
        return dict(data) if data is not None else None

    def save_session(self, *, user_id: int, data: Mapping[str, Any], now: datetime) -> None:
        """Store the session dict of a user (insert or replace)."""
        ins = self._insert(SessionState).values(user_id=user_id, data=dict(data), updated_at=now)
        self._s.exec(
            ins.on_conflict_do_update(
                index_elements=[col(SessionState.user_id)],
                set_={"data": ins.excluded.data, "updated_at": ins.excluded.updated_at},
            )
        )

    # -- logs and inboxes ---------------------------------------------------------------------

    def log_message(
        self,
        *,
        user_id: int | None,
        direction: Direction,
        text: str | None,
        payload: str | None,
        match_kind: str | None,
        match_id: str | None,
        score: float | None,
        source: MessageSource,
        now: datetime,
    ) -> int:
        """Append a (masked) message to the log; returns its id."""
        stmt = (
            insert(MessageLog)
            .values(
                user_id=user_id,
                direction=direction,
                text=text,
                payload=payload,
                match_kind=match_kind,
                match_id=match_id,
                score=score,
                source=source,
                created_at=now,
            )
            .returning(col(MessageLog.id))
        )
        row_id: int = self._s.exec(stmt).scalar_one()
        return row_id

    def add_events(
        self,
        *,
        user_id: int | None,
        events: Sequence[tuple[str, Mapping[str, str]]],
        source: MessageSource,
        now: datetime,
    ) -> None:
        """Record analytics events ``(name, data)`` of one turn."""
        if not events:
            return
        rows = [
            {"user_id": user_id, "name": name, "data": dict(data), "source": source, "created_at": now}
            for name, data in events
        ]
        self._s.exec(insert(EventRow).values(rows))

    def record_unanswered(
        self,
        *,
        user_id: int | None,
        question: str | None,
        reason: UnansweredReason,
        entry_id: str | None,
        score: float | None,
        source: MessageSource,
        now: datetime,
    ) -> int:
        """Put a (masked) question in the unanswered inbox; returns its id."""
        stmt = (
            insert(Unanswered)
            .values(
                user_id=user_id,
                question=question,
                reason=reason,
                entry_id=entry_id,
                score=score,
                status="open",
                source=source,
                created_at=now,
            )
            .returning(col(Unanswered.id))
        )
        row_id: int = self._s.exec(stmt).scalar_one()
        return row_id

    def record_handoff(
        self, *, user_id: int | None, channel: str, question: str | None, now: datetime
    ) -> int:
        """Open a hand-off request for the officers; returns its id."""
        stmt = (
            insert(HandoffRequest)
            .values(user_id=user_id, channel=channel, question=question, status="open", created_at=now)
            .returning(col(HandoffRequest.id))
        )
        row_id: int = self._s.exec(stmt).scalar_one()
        return row_id

    # -- de-duplication -----------------------------------------------------------------------

    def claim_update(self, *, channel: str, update_id: str, now: datetime) -> bool:
        """True the first time (channel, update_id) is seen, across transactions and instances."""
        stmt = (
            self._insert(ProcessedUpdate)
            .values(channel=channel, update_id=update_id, created_at=now)
            .on_conflict_do_nothing(
                index_elements=[col(ProcessedUpdate.channel), col(ProcessedUpdate.update_id)]
            )
            .returning(col(ProcessedUpdate.update_id))
        )
        return self._s.exec(stmt).first() is not None

    def prune_updates(self, *, before: datetime) -> int:
        """Forget de-duplication rows older than ``before``; returns how many."""
        result = self._s.exec(delete(ProcessedUpdate).where(col(ProcessedUpdate.created_at) < before))
        return int(result.rowcount)

    # -- outbox -------------------------------------------------------------------------------

    def enqueue_outbox(
        self, *, channel: str, chat_id: str, body: Any, context: Mapping[str, Any] | None, now: datetime
    ) -> int:
        """Queue something to send (due now); returns its id."""
        stmt = (
            insert(Outbox)
            .values(
                channel=channel,
                chat_id=chat_id,
                body=body,
                context=dict(context) if context is not None else None,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            .returning(col(Outbox.id))
        )
        row_id: int = self._s.exec(stmt).scalar_one()
        return row_id

    def claim_outbox(
        self, *, limit: int, now: datetime, channel: str | None = None, lease_s: int = 60
    ) -> list[OutboxItem]:
        """Claim up to ``limit`` due rows, oldest first, marking them 'sending' for ``lease_s``.

        On PostgreSQL rows locked by another claimer are skipped. A claimed row that is neither
        marked sent nor failed before the lease runs out (the sender died) is claimed again.
        """
        query = (
            select(Outbox.id)
            .where(col(Outbox.status).in_(_CLAIMABLE), col(Outbox.next_attempt_at) <= now)
            .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
            .limit(limit)
        )
        if channel is not None:
            query = query.where(col(Outbox.channel) == channel)
        if self._pg:
            query = query.with_for_update(skip_locked=True)
        ids = [i for i in self._s.exec(query).all() if i is not None]
        if not ids:
            return []
        stmt = (
            update(Outbox)
            .where(col(Outbox.id).in_(ids))
            .values(
                status="sending",
                attempts=col(Outbox.attempts) + 1,
                next_attempt_at=now + timedelta(seconds=lease_s),
            )
            .returning(
                col(Outbox.id),
                col(Outbox.channel),
                col(Outbox.chat_id),
                col(Outbox.body),
                col(Outbox.context),
                col(Outbox.attempts),
                col(Outbox.created_at),
            )
            .execution_options(synchronize_session=False)
        )
        items = [
            OutboxItem(
                id=r.id,
                channel=r.channel,
                chat_id=r.chat_id,
                body=r.body,
                context=r.context,
                attempts=r.attempts,
                created_at=r.created_at,
            )
            for r in self._s.exec(stmt).all()
        ]
        items.sort(key=lambda item: ids.index(item.id))
        return items

    def mark_sent(self, *, id: int, now: datetime) -> None:
        """Record a successful delivery."""
        self._s.exec(
            update(Outbox)
            .where(col(Outbox.id) == id)
            .values(status="sent", sent_at=now, last_error=None)
            .execution_options(synchronize_session=False)
        )

    def mark_failed(self, *, id: int, error: str, retry_at: datetime, dead: bool) -> None:
        """Record a failed delivery: retry at ``retry_at``, or give up when ``dead``."""
        self._s.exec(
            update(Outbox)
            .where(col(Outbox.id) == id)
            .values(status="dead" if dead else "failed", next_attempt_at=retry_at, last_error=error[:2000])
            .execution_options(synchronize_session=False)
        )

    def prune_outbox(self, *, before: datetime) -> int:
        """Delete sent and dead rows created before ``before``; returns how many."""
        result = self._s.exec(
            delete(Outbox)
            .where(col(Outbox.status).in_(("sent", "dead")), col(Outbox.created_at) < before)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)

    # -- rate limits --------------------------------------------------------------------------

    def hit_rate_limit(self, *, key: str, limit: int, window_s: int, now_epoch: int) -> tuple[bool, int]:
        """Count one hit on ``key`` in a fixed window; returns (allowed, seconds until it resets if not)."""
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        window_start = now_epoch - now_epoch % window_s
        ins = self._insert(RateBudget).values(key=key, window_start=window_start, count=1)
        # A row from this window (or a later one, seen by an instance whose clock runs ahead) counts
        # on; an older one restarts at 1. One statement, so concurrent hits never lose a count.
        current = col(RateBudget.window_start) >= ins.excluded.window_start
        stmt = ins.on_conflict_do_update(
            index_elements=[col(RateBudget.key)],
            set_={
                "count": case((current, col(RateBudget.count) + 1), else_=1),
                "window_start": case(
                    (current, col(RateBudget.window_start)), else_=ins.excluded.window_start
                ),
            },
        ).returning(col(RateBudget.count), col(RateBudget.window_start))
        count, start = self._s.exec(stmt).one()
        if count <= limit:
            return True, 0
        return False, max(1, int(start) + window_s - now_epoch)

    # -- personal data ------------------------------------------------------------------------

    def delete_user_data(self, *, user_id: int) -> None:
        """Delete a user's session, messages and question texts; keep anonymous counts only."""
        s = self._s
        s.exec(delete(SessionState).where(col(SessionState.user_id) == user_id))
        s.exec(delete(MessageLog).where(col(MessageLog.user_id) == user_id))
        for model in (Unanswered, HandoffRequest):
            s.exec(
                update(model)
                .where(col(model.user_id) == user_id)
                .values(user_id=None, question=None)
                .execution_options(synchronize_session=False)
            )
        s.exec(
            update(EventRow)
            .where(col(EventRow.user_id) == user_id)
            .values(user_id=None)
            .execution_options(synchronize_session=False)
        )
        s.exec(delete(User).where(col(User.id) == user_id))

    # -- content ------------------------------------------------------------------------------

    def content_version(self) -> int:
        """The current content version (0 before any content write)."""
        value = self._s.exec(
            select(ContentMeta.value).where(col(ContentMeta.key) == CONTENT_VERSION_KEY)
        ).first()
        return int(value) if value is not None else 0

    def bump_content_version(self) -> int:
        """Increase the content version by one (atomically); returns the new version."""
        ins = self._insert(ContentMeta).values(key=CONTENT_VERSION_KEY, value="1")
        stmt = ins.on_conflict_do_update(
            index_elements=[col(ContentMeta.key)],
            set_={"value": cast(cast(col(ContentMeta.value), SAInteger) + 1, SAString)},
        ).returning(col(ContentMeta.value))
        return int(self._s.exec(stmt).scalar_one())

    def content_rows(self, *, kind: str) -> list[ContentRowView]:
        """Every live item of ``kind`` in file order (source file, position, id)."""
        query = (
            select(ContentEntry)
            .where(col(ContentEntry.kind) == kind)
            .order_by(
                col(ContentEntry.source_file).is_(None),
                col(ContentEntry.source_file),
                col(ContentEntry.position),
                col(ContentEntry.id),
            )
        )
        return [_view(row) for row in self._s.exec(query).all()]

    def content_kinds(self) -> list[str]:
        """Kinds that have at least one live item, sorted."""
        return list(self._s.exec(select(ContentEntry.kind).distinct().order_by(col(ContentEntry.kind))).all())

    def content_row(self, *, kind: str, id: str) -> ContentRowView | None:
        """One live item, or None."""
        row = self._s.get(ContentEntry, (kind, id))
        return _view(row) if row is not None else None

    def put_content(
        self,
        *,
        kind: str,
        id: str,
        data: Mapping[str, Any],
        current_hash: str,
        seed_hash: str | None,
        source_file: str | None,
        position: int,
        by: str,
        now: datetime,
    ) -> None:
        """Insert or replace one content item (the caller bumps the version)."""
        ins = self._insert(ContentEntry).values(
            kind=kind,
            id=id,
            data=dict(data),
            seed_hash=seed_hash,
            current_hash=current_hash,
            source_file=source_file,
            position=position,
            updated_at=now,
            updated_by=by,
        )
        x = ins.excluded
        self._s.exec(
            ins.on_conflict_do_update(
                index_elements=[col(ContentEntry.kind), col(ContentEntry.id)],
                set_={
                    "data": x.data,
                    "seed_hash": x.seed_hash,
                    "current_hash": x.current_hash,
                    "source_file": x.source_file,
                    "position": x.position,
                    "updated_at": x.updated_at,
                    "updated_by": x.updated_by,
                },
            )
        )
        # The identity map may hold a stale copy read earlier in this unit.
        self._s.expire_all()

    def set_seed_hash(self, *, kind: str, id: str, seed_hash: str) -> None:
        """Record that the YAML version ``seed_hash`` is what the row now holds."""
        self._s.exec(
            update(ContentEntry)
            .where(col(ContentEntry.kind) == kind, col(ContentEntry.id) == id)
            .values(seed_hash=seed_hash)
            .execution_options(synchronize_session=False)
        )
        self._s.expire_all()

    def delete_content(self, *, kind: str, id: str) -> None:
        """Remove one content item (the caller bumps the version)."""
        self._s.exec(
            delete(ContentEntry)
            .where(col(ContentEntry.kind) == kind, col(ContentEntry.id) == id)
            .execution_options(synchronize_session=False)
        )
        self._s.expire_all()

    # -- small shared state -------------------------------------------------------------------

    def get_kv(self, *, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        return self._s.exec(select(KeyValue.value).where(col(KeyValue.key) == key)).first()

    def set_kv(self, *, key: str, value: str, now: datetime) -> None:
        """Store ``value`` under ``key`` (insert or replace)."""
        ins = self._insert(KeyValue).values(key=key, value=value, updated_at=now)
        self._s.exec(
            ins.on_conflict_do_update(
                index_elements=[col(KeyValue.key)],
                set_={"value": ins.excluded.value, "updated_at": ins.excluded.updated_at},
            )
        )

    # -- helpers for tests and admin counters ---------------------------------------------------

    def count(self, model: type[SQLModel], **filters: Any) -> int:
        """Rows of ``model`` whose columns equal ``filters`` (None means IS NULL)."""
        query = select(func.count()).select_from(model)
        for name, value in filters.items():
            column = getattr(model, name)
            query = query.where(column.is_(None) if value is None else column == value)
        return int(self._s.exec(query).one())


def _view(row: ContentEntry) -> ContentRowView:
    return ContentRowView(
        kind=row.kind,
        id=row.id,
        data=dict(row.data),
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        source_file=row.source_file,
        position=row.position,
        seed_hash=row.seed_hash,
        current_hash=row.current_hash,
    )
