"""The store: repositories over SQLite or PostgreSQL, one transaction per :class:`Unit`.

``with store.unit() as u:`` opens one transaction; it commits when the block ends and rolls back
when it raises. Every method of :class:`Unit` takes keyword-only arguments and is safe with several
app instances on one PostgreSQL database: uniqueness races are settled by ``INSERT … ON CONFLICT``,
sessions are read ``FOR UPDATE`` and the outbox is claimed with ``FOR UPDATE SKIP LOCKED``. On SQLite a
unit starts with ``BEGIN IMMEDIATE`` (one writer at a time, others wait on the busy timeout), so the
same code is correct there without row locks. Timestamps passed in must be timezone-aware.

The methods run on the unit's connection, with SQLAlchemy Core statements built once per dialect
at import (:class:`_Sql`) and executed with parameter dicts: building a statement costs ten times
more than executing a cached one, and a turn runs about ten of them. No ORM objects are loaded;
:attr:`Unit.session` (made on first use, on the same connection and transaction) is there for ad-hoc
queries only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    Integer,
    String,
    Table,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Row
from sqlmodel import Session, SQLModel

from api.store.db import SQLITE_BEGIN_OPTION, SQLITE_BUSY_TIMEOUT_MS, lock_key
from api.store.models import (
    CONTENT_VERSION_KEY,
    Direction,
    MessageSource,
    UnansweredReason,
    metadata,
)
from api.store.rawsql import NotPreparable, Prepared, RawResult

__all__ = [
    "ERASE_DUE_KEY",
    "OUTBOX_ERASE_KEY",
    "ContentRowView",
    "ContentVersionView",
    "LogLine",
    "OutboxItem",
    "RateHit",
    "Store",
    "Unit",
    "UnsentRow",
]

#: Statuses the sender may pick up (a 'sending' row is picked up again once its lease ran out).
_CLAIMABLE = ("pending", "failed", "sending")
#: Statuses of a row not delivered (yet).
_UNSENT = ("pending", "failed", "sending")
#: Statuses of a row that is done with (kept a while, then pruned).
_FINISHED = ("sent", "dead")


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
class LogLine:
    """One (masked) message for :meth:`Unit.log_messages`."""

    direction: Direction
    text: str | None
    payload: str | None = None
    match_kind: str | None = None
    match_id: str | None = None
    score: float | None = None


@dataclass(frozen=True, slots=True)
class UnsentRow:
    """An outbox row not delivered yet (see :meth:`Unit.older_unsent`)."""

    id: int
    chat_id: str
    status: str
    next_attempt_at: datetime


@dataclass(frozen=True, slots=True)
class RateHit:
    """One shared fixed-window budget to spend a hit on: at most ``limit`` per ``window_s`` s."""

    key: str
    limit: int
    window_s: int


@dataclass(frozen=True, slots=True)
class ContentVersionView:
    """One saved version of a content item (``data`` None: the version that deleted it)."""

    version: int
    data: dict[str, Any] | None
    action: str
    by: str
    at: datetime


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
    #: Bumped by every save (see :meth:`Unit.put_content`).
    version: int = 1

    @property
    def edited(self) -> bool:
        """True when the row differs from what was last seeded from YAML."""
        return self.seed_hash != self.current_hash


# -- statements ---------------------------------------------------------------------------------

_users = metadata.tables["users"]
_sessions = metadata.tables["session_state"]
_messages = metadata.tables["message_log"]
_events = metadata.tables["events"]
_unanswered = metadata.tables["unanswered"]
_handoffs = metadata.tables["handoff_requests"]
_updates = metadata.tables["processed_updates"]
_outbox = metadata.tables["outbox"]
_budgets = metadata.tables["rate_budget"]
_content = metadata.tables["content_entries"]
_content_meta = metadata.tables["content_meta"]
_versions = metadata.tables["content_versions"]
_kv = metadata.tables["kv"]
_attributions = metadata.tables["attributions"]
_completions = metadata.tables["completions"]



def _p(name: str, *, like: Any = None, expanding: bool = False) -> Any:
    """A named bound parameter, typed like the column ``like`` when given."""
    return bindparam(name, type_=like.type if like is not None else None, expanding=expanding)


class _Sql:
    """Every statement a unit runs, built once per dialect.

    Bound parameters that are not column values are named ``p_…`` (an INSERT or UPDATE reserves
    the column names for the values it writes).
    """

    def __init__(self, *, postgresql: bool) -> None:
        def ins(table: Table) -> pg.Insert | sqlite_dialect.Insert:
            return pg.insert(table) if postgresql else sqlite_dialect.insert(table)

        def upsert(table: Table, keys: Sequence[str], columns: Sequence[str]) -> Executable:
            stmt = ins(table)
            return stmt.on_conflict_do_update(
                index_elements=[table.c[k] for k in keys],
                set_={name: stmt.excluded[name] for name in columns},
            )

        u, o, rb, ce, kv = _users, _outbox, _budgets, _content, _kv

        # users and sessions
        user = ins(u)
        # DO UPDATE (not DO NOTHING) so the row comes back even when another transaction made it.
        self.get_or_create_user: Executable = user.on_conflict_do_update(
            index_elements=[u.c.channel, u.c.external_id],
            set_={"last_seen_at": user.excluded.last_seen_at},
        ).returning(u.c.id)
        self.find_user: Executable = select(u.c.id).where(
            u.c.channel == _p("p_channel"), u.c.external_id == _p("p_external_id")
        )
        load = select(_sessions.c.data).where(_sessions.c.user_id == _p("p_user_id"))
        self.load_session: Executable = load
        self.load_session_locked: Executable = load.with_for_update() if postgresql else load
        self.save_session = upsert(_sessions, ["user_id"], ["data", "updated_at"])

        # logs and inboxes
        self.log_message: Executable = insert(_messages).returning(_messages.c.id)
        self.log_messages: Executable = insert(_messages)
        self.add_events: Executable = insert(_events)
        self.record_unanswered: Executable = insert(_unanswered).returning(_unanswered.c.id)
        self.record_handoff: Executable = insert(_handoffs).returning(_handoffs.c.id)

        # de-duplication
        pu = _updates
        self.claim_update: Executable = (
            ins(pu)
            .on_conflict_do_nothing(index_elements=[pu.c.channel, pu.c.update_id])
            .returning(pu.c.update_id)
        )
        old_update = pu.c.created_at < _p("p_before", like=pu.c.created_at)
        self.prune_updates: Executable = delete(pu).where(old_update)
        self.prune_updates_some: Executable = delete(pu).where(
            tuple_(pu.c.channel, pu.c.update_id).in_(
                select(pu.c.channel, pu.c.update_id).where(old_update).limit(_p("p_limit"))
            )
        )

        # outbox
        self.enqueue_outbox: Executable = insert(o).returning(o.c.id)
        now, limit, channel = _p("p_now", like=o.c.next_attempt_at), _p("p_limit"), _p("p_channel")

        def claimable(*where: Any) -> Any:
            if postgresql:
                # One index range per status and a top-N sort; SKIP LOCKED passes over rows another
                # instance is claiming (MVCC: a slow claim holds up no webhook).
                return (
                    select(o.c.id)
                    .where(o.c.status.in_(_CLAIMABLE), o.c.next_attempt_at <= now, *where)
                    .order_by(o.c.next_attempt_at, o.c.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            # SQLite: each status read in (next_attempt_at, id) order straight off the index
            # (status, next_attempt_at), then the three short lists merged. One `status IN (…)`
            # sorts every due row first, which takes milliseconds of the single writer's time
            # when a backlog builds up (Telegram sends only ~30 messages/s).
            arms = [
                select(o.c.id, o.c.next_attempt_at)
                .where(o.c.status == status, o.c.next_attempt_at <= now, *where)
                .order_by(o.c.next_attempt_at, o.c.id)
                .limit(limit)
                .subquery()
                for status in _CLAIMABLE
            ]
            merged = union_all(*(select(arm.c.id, arm.c.next_attempt_at) for arm in arms)).subquery()
            return select(merged.c.id).order_by(merged.c.next_attempt_at, merged.c.id).limit(limit)

        self.claimable: Executable = claimable(o.c.channel == channel)
        self.lease_outbox: Executable = (
            update(o)
            .where(o.c.id.in_(_p("p_ids", expanding=True)))
            .values(
                status="sending",
                attempts=o.c.attempts + 1,
                next_attempt_at=_p("p_until", like=o.c.next_attempt_at),
            )
            .returning(o.c.id, o.c.channel, o.c.chat_id, o.c.body, o.c.context, o.c.attempts, o.c.created_at)
        )
        self.mark_sent: Executable = (
            update(o)
            .where(o.c.id.in_(_p("p_ids", expanding=True)))
            .values(status="sent", sent_at=_p("p_now", like=o.c.sent_at), last_error=None)
        )
        self.mark_failed: Executable = (
            update(o)
            .where(o.c.id == _p("p_id"))
            .values(
                status=_p("p_status", like=o.c.status),
                attempts=o.c.attempts - cast(_p("p_refund"), Integer),
                next_attempt_at=_p("p_retry_at", like=o.c.next_attempt_at),
                last_error=_p("p_error", like=o.c.last_error),
            )
        )
        self.renew_outbox_lease: Executable = (
            update(o)
            .where(o.c.id.in_(_p("p_ids", expanding=True)), o.c.status == "sending")
            .values(next_attempt_at=_p("p_until", like=o.c.next_attempt_at))
        )
        self.put_back_outbox: Executable = (
            update(o)
            .where(o.c.id == _p("p_id"))
            .values(status="pending", attempts=o.c.attempts - 1, next_attempt_at=_p("p_due", like=o.c.next_attempt_at))
        )
        self.set_outbox_context: Executable = (
            update(o).where(o.c.id == _p("p_id")).values(context=_p("p_context", like=o.c.context))
        )
        self.older_unsent: Executable = (
            select(o.c.id, o.c.chat_id, o.c.status, o.c.next_attempt_at)
            .where(
                o.c.channel == _p("p_channel"),
                o.c.chat_id.in_(_p("p_chats", expanding=True)),
                o.c.status.in_(_UNSENT),
                o.c.id.not_in(_p("p_ids", expanding=True)),
                o.c.id < _p("p_below"),
            )
            .order_by(o.c.id)
        )
        finished = (o.c.status.in_(_FINISHED), o.c.created_at < _p("p_before", like=o.c.created_at))
        self.prune_outbox: Executable = delete(o).where(*finished)
        self.prune_outbox_some: Executable = delete(o).where(
            o.c.id.in_(select(o.c.id).where(*finished).limit(_p("p_limit")))
        )

        # rate limits
        hit = ins(rb)
        # A row from this window (or a later one, seen by an instance whose clock runs ahead) counts
        # on; an older one restarts at 1. One statement, so concurrent hits never lose a count.
        current = rb.c.window_start >= hit.excluded.window_start
        self.hit_rate_limit: Executable = hit.on_conflict_do_update(
            index_elements=[rb.c.key],
            set_={
                "count": case((current, rb.c.count + 1), else_=1),
                "window_start": case((current, rb.c.window_start), else_=hit.excluded.window_start),
            },
        ).returning(rb.c.count, rb.c.window_start)
        self.undo_rate_hit: Executable = (
            update(rb)
            .where(rb.c.key == _p("p_key"), rb.c.window_start == _p("p_window_start"), rb.c.count > 0)
            .values(count=rb.c.count - 1)
        )
        self.rate_count: Executable = select(rb.c.count, rb.c.window_start).where(rb.c.key == _p("p_key"))
        old_budget = rb.c.window_start < _p("p_before", like=rb.c.window_start)
        self.prune_rate_budget: Executable = delete(rb).where(old_budget)
        self.prune_rate_budget_some: Executable = delete(rb).where(
            rb.c.key.in_(select(rb.c.key).where(old_budget).limit(_p("p_limit")))
        )

        # personal data
        self.delete_budgets: Executable = delete(rb).where(rb.c.key.in_(_p("p_keys", expanding=True)))
        chat = (o.c.channel == _p("p_channel"), o.c.chat_id == _p("p_chat"))
        self.delete_chat_outbox_finished: Executable = delete(o).where(*chat, o.c.status.in_(_FINISHED))
        self.chat_outbox_unsent: Executable = select(o.c.id, o.c.context).where(*chat, o.c.status.in_(_UNSENT))
        self.delete_outbox: Executable = delete(o).where(o.c.id.in_(_p("p_ids", expanding=True)))
        self.delete_kv_if: Executable = delete(kv).where(kv.c.key == _p("p_key"), kv.c.value == _p("p_value"))
        uid = _p("p_user_id")
        self.delete_user_data: tuple[Executable, ...] = (
            delete(_sessions).where(_sessions.c.user_id == uid),
            delete(_messages).where(_messages.c.user_id == uid),
            update(_unanswered).where(_unanswered.c.user_id == uid).values(user_id=None, question=None),
            update(_handoffs).where(_handoffs.c.user_id == uid).values(user_id=None, question=None),
            update(_events).where(_events.c.user_id == uid).values(user_id=None),
            # A team member's counts stay, anonymous: nothing in them points to the citizen any more.
            update(_attributions).where(_attributions.c.user_id == uid).values(user_id=None),
            update(_completions).where(_completions.c.user_id == uid).values(user_id=None),
            delete(u).where(u.c.id == uid),
        )

        # content
        cm = _content_meta
        self.content_version: Executable = select(cm.c.value).where(cm.c.key == CONTENT_VERSION_KEY)
        bump = ins(cm)
        self.bump_content_version: Executable = bump.on_conflict_do_update(
            index_elements=[cm.c.key],
            set_={"value": cast(cast(cm.c.value, Integer) + 1, String)},
        ).returning(cm.c.value)
        rows = select(
            ce.c.kind, ce.c.id, ce.c.data, ce.c.updated_at, ce.c.updated_by, ce.c.source_file,
            ce.c.position, ce.c.seed_hash, ce.c.current_hash, ce.c.version,
        )
        self.content_rows: Executable = rows.where(ce.c.kind == _p("p_kind")).order_by(
            ce.c.source_file.is_(None), ce.c.source_file, ce.c.position, ce.c.id
        )
        self.content_row: Executable = rows.where(ce.c.kind == _p("p_kind"), ce.c.id == _p("p_id"))
        self.content_kinds: Executable = select(ce.c.kind).distinct().order_by(ce.c.kind)
        self.put_content = upsert(
            ce,
            ["kind", "id"],
            ["data", "seed_hash", "current_hash", "source_file", "position", "updated_at", "updated_by", "version"],
        )
        cv = _versions
        self.last_version: Executable = select(func.max(cv.c.version)).where(
            cv.c.kind == _p("p_kind"), cv.c.entry_id == _p("p_id")
        )
        self.add_version: Executable = insert(cv)
        self.content_versions: Executable = (
            select(cv.c.version, cv.c.data, cv.c.action, cv.c.by, cv.c.at)
            .where(cv.c.kind == _p("p_kind"), cv.c.entry_id == _p("p_id"))
            .order_by(cv.c.version.desc())
        )
        self.content_version_of: Executable = select(cv.c.version, cv.c.data, cv.c.action, cv.c.by, cv.c.at).where(
            cv.c.kind == _p("p_kind"), cv.c.entry_id == _p("p_id"), cv.c.version == _p("p_version")
        )
        self.set_seed_hash: Executable = (
            update(ce)
            .where(ce.c.kind == _p("p_kind"), ce.c.id == _p("p_id"))
            .values(seed_hash=_p("p_seed_hash", like=ce.c.seed_hash))
        )
        self.delete_content: Executable = delete(ce).where(ce.c.kind == _p("p_kind"), ce.c.id == _p("p_id"))

        # small shared state
        self.get_kv: Executable = select(kv.c.value).where(kv.c.key == _p("p_key"))
        self.set_kv = upsert(kv, ["key"], ["value", "updated_at"])
        old_kv = (
            # Not LIKE (case-insensitive on SQLite, needs escaping) nor a key range (collations).
            func.substr(kv.c.key, 1, bindparam("p_len", type_=Integer)) == bindparam("p_prefix", type_=String),
            kv.c.updated_at < _p("p_before", like=kv.c.updated_at),
        )
        self.prune_kv: Executable = delete(kv).where(*old_kv)
        self.prune_kv_some: Executable = delete(kv).where(kv.c.key.in_(select(kv.c.key).where(*old_kv).limit(_p("p_limit"))))

        # locks: (schema, name) pairs, so deployments (and test runs) in other schemas of the same
        # database never wait for each other or see each other's locks as taken
        lock = bindparam("p_lock", type_=Integer)
        space = func.hashtext(func.current_schema())
        self.advisory_lock: Executable = select(func.pg_advisory_xact_lock(space, lock))
        self.try_advisory_lock: Executable = select(func.pg_try_advisory_xact_lock(space, lock))


_SQL = {"postgresql": _Sql(postgresql=True), "sqlite": _Sql(postgresql=False)}

#: Tables whose rows a privacy deletion removes or scrubs (vacuumed by :meth:`Store.erase_traces`).
_PERSONAL_TABLES = (_users, _sessions, _messages, _events, _unanswered, _handoffs, _outbox, _budgets, _updates,
                    _attributions, _completions,
                    # Announcement subscriptions and deliveries (api.announce): deleted with the user row.
                    metadata.tables["announce_subscriptions"], metadata.tables["announce_deliveries"])

#: KeyValue key set when rows keyed to a user were deleted and the files still hold them.
ERASE_DUE_KEY = "privacy:erase_due"
#: Outbox ``context`` flag: delete the row once sent (or dead) instead of keeping it a week.
OUTBOX_ERASE_KEY = "erase"


class Store:
    """Owns the engine; hands out units of work."""

    def __init__(self, engine: Engine) -> None:
        """Wrap an engine built by :func:`api.store.db.make_engine` (already migrated)."""
        self._engine = engine
        self._dialect = engine.dialect.name
        if self._dialect not in _SQL:
            raise ValueError(f"unsupported database dialect: {self._dialect!r}")
        # The SQLite BEGIN mode travels as an execution option of the connection (see api.store.db).
        self._writer: Engine = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        self._reader: Engine = engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
        #: Hot statements compiled for this engine's dialect (None: not preparable, use execute).
        self._prepared: dict[tuple[Executable, tuple[str, ...]], Prepared | None] = {}

    @property
    def engine(self) -> Engine:
        """The underlying engine."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._dialect

    @contextmanager
    def unit(self, *, readonly: bool = False) -> Iterator[Unit]:
        """One transaction: commit on success, roll back on exception.

        ``readonly`` only matters on SQLite, where it starts a deferred transaction that does not
        queue behind writers.
        """
        conn = (self._reader if readonly else self._writer).connect()
        try:
            tx = conn.begin()
            unit = Unit(conn, self._dialect, self._prepared)
            try:
                yield unit
                unit._flush()
                tx.commit()
            except BaseException:
                tx.rollback()
                raise
            finally:
                unit._close()
        finally:
            conn.close()

    def erase_traces(self, *, busy_ms: int = 1000) -> bool:
        """Make rows deleted for privacy unreadable in the database files; True when done.

        SQLite deletes with ``secure_delete`` (the freed bytes are zeroed), but the write-ahead log
        keeps earlier copies of those pages until it is reset: a ``TRUNCATE`` checkpoint copies it
        into the database and empties it. It waits at most ``busy_ms`` for readers, else reports
        False and is tried again later. PostgreSQL keeps deleted rows as dead tuples until
        ``VACUUM`` removes them; the tables that hold personal data are vacuumed here. The due
        flag set by :meth:`Unit.delete_user_data` is cleared only when the run that saw it worked.
        """
        with self.unit(readonly=True) as unit:
            due = unit.get_kv(key=ERASE_DUE_KEY)
        if due is None:
            return True
        if self._dialect == "sqlite":
            raw = self._engine.raw_connection()
            try:
                driver: Any = raw.driver_connection
                driver.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
                try:
                    busy = driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                finally:
                    driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            finally:
                raw.close()
            if busy:
                return False
        else:
            with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in _PERSONAL_TABLES:
                    conn.exec_driver_sql(f'VACUUM "{table.name}"')
        with self.unit() as unit:
            # Cleared only if no deletion came in meanwhile (it would have changed the value).
            unit.delete_kv_if(key=ERASE_DUE_KEY, value=due)
        return True

    def writable_now(self, *, wait_ms: int = 200) -> bool:
        """True when a write can start within ``wait_ms`` (SQLite: nobody holds the write lock long).

        For health checks: the short wait lets this process's own transactions (milliseconds)
        finish, so only a lock held for longer — another process, a stuck writer — reads as busy.
        Always True on PostgreSQL, where writers do not lock each other out.
        """
        if self._dialect != "sqlite":
            return True
        raw = self._engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            driver.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
            try:
                driver.execute("BEGIN IMMEDIATE")
                driver.execute("ROLLBACK")
                return True
            except sqlite3.OperationalError:
                return False
            finally:
                driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            raw.close()

    def dispose(self) -> None:
        """Close pooled connections."""
        self._engine.dispose()


class Unit:
    """Repository methods running inside one transaction."""

    def __init__(
        self,
        connection: Connection,
        dialect: str,
        prepared: dict[tuple[Executable, tuple[str, ...]], Prepared | None] | None = None,
    ) -> None:
        """Bind to a connection inside its transaction; use :meth:`Store.unit` instead of calling this."""
        self._c = connection
        self._pg = dialect == "postgresql"
        self._q = _SQL[dialect]
        self._session: Session | None = None
        self._prepared = prepared if prepared is not None else {}

    @property
    def connection(self) -> Connection:
        """The connection this unit's transaction runs on."""
        return self._c

    @property
    def session(self) -> Session:
        """A SQLModel session on this unit's transaction, for queries no method covers (admin views)."""
        if self._session is None:
            # The unit owns the transaction: the session flushes into it, never commits it.
            self._session = Session(bind=self._c, expire_on_commit=False, join_transaction_mode="rollback_only")
        return self._session

    def _flush(self) -> None:
        if self._session is not None:
            self._session.flush()

    def _close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _expire(self) -> None:
        # The identity map of an ad-hoc session may hold a stale copy read earlier in this unit.
        if self._session is not None:
            self._session.expire_all()

    def _run(self, stmt: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None) -> Any:
        return self._c.execute(stmt, params)

    def _hot(self, stmt: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> RawResult | Any:
        """Run a statement of the turn's hot path on the driver's cursor (see :mod:`api.store.rawsql`).

        Results support ``first``, ``one``, ``scalar``, ``scalar_one``, ``scalars`` and ``rowcount``;
        rows are plain tuples. A statement that cannot be prepared runs through :meth:`_run`.
        """
        keys = tuple(params) if isinstance(params, Mapping) else tuple(params[0])
        cache_key = (stmt, keys)
        try:
            prepared = self._prepared[cache_key]
        except KeyError:
            try:
                prepared = Prepared(stmt, self._c.dialect, keys)
            except NotPreparable:
                prepared = None
            self._prepared[cache_key] = prepared
        if prepared is None:
            return self._run(stmt, params)
        return prepared.run(self._c.connection.driver_connection, params)

    def prepared_statements(self) -> dict[tuple[Executable, tuple[str, ...]], bool]:
        """Which hot statements this store runs raw (True) or through SQLAlchemy (False); for tests."""
        return {key: value is not None for key, value in self._prepared.items()}

    # -- locks --------------------------------------------------------------------------------

    def advisory_lock(self, *, name: str) -> None:
        """Serialise this transaction with others taking the same lock (no-op on SQLite)."""
        if self._pg:
            self._run(self._q.advisory_lock, {"p_lock": lock_key(name)})

    def try_advisory_lock(self, *, name: str) -> bool:
        """Take the lock ``name`` for this transaction if free; False when another one holds it.

        Always True on SQLite, where a writing unit holds the whole database anyway.
        """
        if not self._pg:
            return True
        return bool(self._run(self._q.try_advisory_lock, {"p_lock": lock_key(name)}).scalar_one())

    # -- users and sessions -------------------------------------------------------------------

    def get_or_create_user(self, *, channel: str, external_id: str, now: datetime) -> int:
        """Id of the user (channel, external_id), created if new; touches ``last_seen_at``."""
        params = {"channel": channel, "external_id": external_id, "created_at": now, "last_seen_at": now}
        user_id: int = self._hot(self._q.get_or_create_user, params).scalar_one()
        return user_id

    def find_user(self, *, channel: str, external_id: str) -> int | None:
        """Id of the user (channel, external_id), or None."""
        user_id: int | None = self._run(
            self._q.find_user, {"p_channel": channel, "p_external_id": external_id}
        ).scalar()
        return user_id

    def load_session(self, *, user_id: int, lock: bool = True) -> dict[str, Any] | None:
        """The stored session dict (``Session.to_dict()``), locked for this transaction on PostgreSQL.

        A first turn has no row to lock; :meth:`get_or_create_user` already locked the user row.
        """
        stmt = self._q.load_session_locked if lock else self._q.load_session
        data = self._hot(stmt, {"p_user_id": user_id}).scalar()
        return dict(data) if data is not None else None

    def save_session(self, *, user_id: int, data: Mapping[str, Any], now: datetime) -> None:
        """Store the session dict of a user (insert or replace)."""
        self._hot(self._q.save_session, {"user_id": user_id, "data": dict(data), "updated_at": now})

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
        params = {
            "user_id": user_id,
            "direction": direction,
            "text": text,
            "payload": payload,
            "match_kind": match_kind,
            "match_id": match_id,
            "score": score,
            "source": source,
            "created_at": now,
        }
        row_id: int = self._run(self._q.log_message, params).scalar_one()
        return row_id

    def log_messages(
        self, *, user_id: int | None, lines: Sequence[LogLine], source: MessageSource, now: datetime
    ) -> None:
        """Append several (masked) messages of one turn to the log, in order, in one statement."""
        rows = [
            {
                "user_id": user_id,
                "direction": line.direction,
                "text": line.text,
                "payload": line.payload,
                "match_kind": line.match_kind,
                "match_id": line.match_id,
                "score": line.score,
                "source": source,
                "created_at": now,
            }
            for line in lines
        ]
        if rows:
            self._hot(self._q.log_messages, rows if len(rows) > 1 else rows[0])

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
        self._hot(self._q.add_events, rows if len(rows) > 1 else rows[0])

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
        params = {
            "user_id": user_id,
            "question": question,
            "reason": reason,
            "entry_id": entry_id,
            "score": score,
            "status": "open",
            "source": source,
            "created_at": now,
        }
        row_id: int = self._run(self._q.record_unanswered, params).scalar_one()
        return row_id

    def record_handoff(
        self, *, user_id: int | None, channel: str, question: str | None, now: datetime
    ) -> int:
        """Open a hand-off request for the officers; returns its id."""
        params = {
            "user_id": user_id,
            "channel": channel,
            "question": question,
            "status": "open",
            "created_at": now,
        }
        row_id: int = self._run(self._q.record_handoff, params).scalar_one()
        return row_id

    # -- de-duplication -----------------------------------------------------------------------

    def claim_update(self, *, channel: str, update_id: str, now: datetime) -> bool:
        """True the first time (channel, update_id) is seen, across transactions and instances."""
        params = {"channel": channel, "update_id": update_id, "created_at": now}
        return self._hot(self._q.claim_update, params).first() is not None

    def prune_updates(self, *, before: datetime, limit: int | None = None) -> int:
        """Forget de-duplication rows older than ``before`` (at most ``limit``); returns how many."""
        if limit is None:
            return int(self._run(self._q.prune_updates, {"p_before": before}).rowcount)
        return int(self._run(self._q.prune_updates_some, {"p_before": before, "p_limit": limit}).rowcount)

    # -- outbox -------------------------------------------------------------------------------

    def enqueue_outbox(
        self, *, channel: str, chat_id: str, body: Any, context: Mapping[str, Any] | None, now: datetime
    ) -> int:
        """Queue something to send (due now); returns its id."""
        params = {
            "channel": channel,
            "chat_id": chat_id,
            "body": body,
            "context": dict(context) if context is not None else None,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        row_id: int = self._hot(self._q.enqueue_outbox, params).scalar_one()
        return row_id

    def claim_outbox(
        self, *, channel: str, limit: int, now: datetime, lease_s: int = 60
    ) -> list[OutboxItem]:
        """Claim up to ``limit`` due rows of ``channel``, oldest first, marking them 'sending' for ``lease_s``.

        On PostgreSQL rows locked by another claimer are skipped. A claimed row that is neither
        marked sent nor failed before the lease runs out (the sender died) is claimed again.
        """
        found = self._run(self._q.claimable, {"p_now": now, "p_limit": limit, "p_channel": channel})
        ids: list[int] = list(found.scalars())
        if not ids:
            return []
        leased = self._run(self._q.lease_outbox, {"p_ids": ids, "p_until": now + timedelta(seconds=lease_s)})
        by_id = {
            r.id: OutboxItem(
                id=r.id,
                channel=r.channel,
                chat_id=r.chat_id,
                body=r.body,
                context=r.context,
                attempts=r.attempts,
                created_at=r.created_at,
            )
            for r in leased
        }
        return [by_id[i] for i in ids if i in by_id]

    def older_unsent(
        self, *, channel: str, chat_ids: Sequence[str], exclude_ids: Sequence[int], below_id: int
    ) -> list[UnsentRow]:
        """Unsent rows of ``channel`` in ``chat_ids`` with an id under ``below_id``, oldest first.

        Rows in ``exclude_ids`` (those just claimed) are left out; the sender uses this to keep the
        rows of a chat in order.
        """
        if not chat_ids:
            return []
        params = {
            "p_channel": channel,
            "p_chats": list(chat_ids),
            "p_ids": list(exclude_ids) or [-1],
            "p_below": below_id,
        }
        return [
            UnsentRow(id=r.id, chat_id=r.chat_id, status=r.status, next_attempt_at=r.next_attempt_at)
            for r in self._run(self._q.older_unsent, params)
        ]

    def mark_sent(self, *, id: int, now: datetime) -> None:
        """Record a successful delivery."""
        self._run(self._q.mark_sent, {"p_ids": [id], "p_now": now})

    def mark_sent_many(self, *, ids: Sequence[int], now: datetime) -> None:
        """Record successful deliveries (one statement)."""
        if ids:
            self._run(self._q.mark_sent, {"p_ids": list(ids), "p_now": now})

    def mark_failed(
        self, *, id: int, error: str, retry_at: datetime, dead: bool, count_attempt: bool = True
    ) -> None:
        """Record a failed delivery: retry at ``retry_at``, or give up when ``dead``.

        ``count_attempt=False`` gives back the attempt the claim counted (the row was told to wait:
        a spent rate budget, a 429), so waiting never brings a row closer to its attempt limit.
        """
        params = {
            "p_id": id,
            "p_status": "dead" if dead else "failed",
            "p_refund": 0 if count_attempt else 1,
            "p_retry_at": retry_at,
            "p_error": error[:2000],
        }
        self._run(self._q.mark_failed, params)

    def renew_outbox_lease(self, *, ids: Sequence[int], until: datetime) -> None:
        """Extend the lease of rows still being sent (not those already marked) to ``until``."""
        if ids:
            self._run(self._q.renew_outbox_lease, {"p_ids": list(ids), "p_until": until})

    def put_back_outbox(self, *, id: int, due: datetime) -> None:
        """Return a claimed row to the queue, due at ``due``, without counting the attempt."""
        self._run(self._q.put_back_outbox, {"p_id": id, "p_due": due})

    def set_outbox_context(self, *, id: int, context: Mapping[str, Any] | None) -> None:
        """Replace the ``context`` of an outbox row (a sender's partial progress)."""
        self._run(self._q.set_outbox_context, {"p_id": id, "p_context": dict(context) if context is not None else None})

    def prune_outbox(self, *, before: datetime, limit: int | None = None) -> int:
        """Delete sent and dead rows created before ``before`` (at most ``limit``); returns how many."""
        if limit is None:
            return int(self._run(self._q.prune_outbox, {"p_before": before}).rowcount)
        return int(self._run(self._q.prune_outbox_some, {"p_before": before, "p_limit": limit}).rowcount)

    # -- rate limits --------------------------------------------------------------------------

    def hit_rate_limit(self, *, key: str, limit: int, window_s: int, now_epoch: int) -> tuple[bool, int]:
        """Count one hit on ``key`` in a fixed window; returns (allowed, seconds until it resets if not)."""
        allowed, reset, _ = self._hit(key=key, limit=limit, window_s=window_s, now_epoch=now_epoch)
        return allowed, reset

    def _hit(self, *, key: str, limit: int, window_s: int, now_epoch: int) -> tuple[bool, int, int]:
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        window_start = now_epoch - now_epoch % window_s
        params = {"key": key, "window_start": window_start, "count": 1}
        count, start = self._hot(self._q.hit_rate_limit, params).one()
        if count <= limit:
            return True, 0, int(start)
        return False, max(1, int(start) + window_s - now_epoch), int(start)

    def rate_count(self, *, key: str, window_s: int, now_epoch: int) -> int:
        """Hits counted on ``key`` in the current window (0 when its counter is from an older one)."""
        row = self._run(self._q.rate_count, {"p_key": key}).first()
        if row is None or int(row.window_start) < now_epoch - now_epoch % window_s:
            return 0
        return int(row.count)

    def take_rate_budget(self, *, hits: Sequence[RateHit], now_epoch: int) -> int:
        """Spend one hit on every budget of ``hits``, all or none; returns 0, or the seconds to wait.

        Unlike :meth:`hit_rate_limit`, a refused attempt consumes nothing: its hits are taken back
        (each budget's counter goes back down in the same transaction).
        """
        taken: list[dict[str, Any]] = []
        wait = 0
        for hit in hits:
            allowed, reset, start = self._hit(key=hit.key, limit=hit.limit, window_s=hit.window_s, now_epoch=now_epoch)
            taken.append({"p_key": hit.key, "p_window_start": start})
            if not allowed:
                wait = max(wait, reset)
        if wait > 0:
            self._hot(self._q.undo_rate_hit, taken if len(taken) > 1 else taken[0])
        return wait

    def prune_rate_budget(self, *, before_epoch: int, limit: int | None = None) -> int:
        """Delete budget rows whose window started before ``before_epoch``; returns how many.

        A row whose window is over restarts at 1 on its next hit anyway, so this only drops rows
        nobody hit for a while (pass a time older than the longest window in use).
        """
        if limit is None:
            return int(self._run(self._q.prune_rate_budget, {"p_before": before_epoch}).rowcount)
        params = {"p_before": before_epoch, "p_limit": limit}
        return int(self._run(self._q.prune_rate_budget_some, params).rowcount)

    # -- personal data ------------------------------------------------------------------------

    def delete_user_data(
        self,
        *,
        user_id: int,
        now: datetime,
        budget_keys: Sequence[str] = (),
        outbox_chat: tuple[str, str] | None = None,
    ) -> None:
        """Delete everything keyed to a user; keep anonymous counts only.

        Gone: the user row, session and messages; question texts in the inboxes (their rows stay,
        anonymous); the user id in a team member's attributions and completions (the counts stay); the rate budgets named in ``budget_keys``; the outbox rows of ``outbox_chat``
        (channel, chat id) already sent or dead. Rows of that chat still to send are marked to be
        deleted once sent (:data:`OUTBOX_ERASE_KEY`), and so must the caller's own reply be. The
        files are then scrubbed by :meth:`Store.erase_traces` (flagged under :data:`ERASE_DUE_KEY`).
        """
        for stmt in self._q.delete_user_data:
            self._run(stmt, {"p_user_id": user_id})
        self.delete_budgets(keys=budget_keys)
        if outbox_chat is not None:
            chat = {"p_channel": outbox_chat[0], "p_chat": outbox_chat[1]}
            self._run(self._q.delete_chat_outbox_finished, chat)
            for row in self._run(self._q.chat_outbox_unsent, chat).all():
                self.set_outbox_context(id=row.id, context={**(row.context or {}), OUTBOX_ERASE_KEY: True})
        self.flag_erase(now=now)
        self._expire()

    def flag_erase(self, *, now: datetime) -> None:
        """Note that rows keyed to a user were deleted: :meth:`Store.erase_traces` is due."""
        self.set_kv(key=ERASE_DUE_KEY, value=now.isoformat(), now=now)

    def delete_budgets(self, *, keys: Sequence[str]) -> None:
        """Delete the rate budgets ``keys`` (those named after a user who asked to be forgotten)."""
        if keys:
            self._run(self._q.delete_budgets, {"p_keys": list(keys)})

    def delete_outbox(self, *, ids: Sequence[int]) -> None:
        """Delete outbox rows (sent rows of a user who asked for their data to be deleted)."""
        if ids:
            self._run(self._q.delete_outbox, {"p_ids": list(ids)})

    # -- content ------------------------------------------------------------------------------

    def content_version(self) -> int:
        """The current content version (0 before any content write)."""
        value = self._hot(self._q.content_version, {}).scalar()
        return int(value) if value is not None else 0

    def bump_content_version(self) -> int:
        """Increase the content version by one (atomically); returns the new version."""
        value = self._run(self._q.bump_content_version, {"key": CONTENT_VERSION_KEY, "value": "1"}).scalar_one()
        return int(value)

    def content_rows(self, *, kind: str) -> list[ContentRowView]:
        """Every live item of ``kind`` in file order (source file, position, id)."""
        return [_view(row) for row in self._run(self._q.content_rows, {"p_kind": kind})]

    def content_kinds(self) -> list[str]:
        """Kinds that have at least one live item, sorted."""
        return list(self._run(self._q.content_kinds).scalars())

    def content_row(self, *, kind: str, id: str) -> ContentRowView | None:
        """One live item, or None."""
        row = self._run(self._q.content_row, {"p_kind": kind, "p_id": id}).first()
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
        action: str = "edit",
    ) -> int:
        """Insert or replace one content item and keep the result as a new version; returns it.

        Every write of live content goes through here or :meth:`delete_content`, so every seed,
        console edit, restore, import and inbox action is a version in ``content_versions`` (the
        caller bumps the content version).
        """
        version = self._next_version(kind=kind, id=id)
        params = {
            "kind": kind,
            "id": id,
            "data": dict(data),
            "seed_hash": seed_hash,
            "current_hash": current_hash,
            "source_file": source_file,
            "position": position,
            "updated_at": now,
            "updated_by": by,
            "version": version,
        }
        self._run(self._q.put_content, params)
        self._run(self._q.add_version, {"kind": kind, "entry_id": id, "version": version, "data": dict(data),
                                        "action": action, "by": by, "at": now})
        self._expire()
        return version

    def _next_version(self, *, kind: str, id: str) -> int:
        last = self._run(self._q.last_version, {"p_kind": kind, "p_id": id}).scalar()
        return int(last or 0) + 1

    def set_seed_hash(self, *, kind: str, id: str, seed_hash: str) -> None:
        """Record that the YAML version ``seed_hash`` is what the row now holds."""
        self._run(self._q.set_seed_hash, {"p_kind": kind, "p_id": id, "p_seed_hash": seed_hash})
        self._expire()

    def delete_content(self, *, kind: str, id: str, by: str, now: datetime) -> None:
        """Remove one content item, kept as a last version with no data (the caller bumps the version)."""
        self._run(self._q.delete_content, {"p_kind": kind, "p_id": id})
        self._run(self._q.add_version, {"kind": kind, "entry_id": id, "version": self._next_version(kind=kind, id=id),
                                        "data": None, "action": "delete", "by": by, "at": now})
        self._expire()

    def content_versions(self, *, kind: str, id: str) -> list[ContentVersionView]:
        """Every saved version of an item, newest first."""
        return [ContentVersionView(*row) for row in self._run(self._q.content_versions, {"p_kind": kind, "p_id": id})]

    def content_version_of(self, *, kind: str, id: str, version: int) -> ContentVersionView | None:
        """One saved version of an item, or None."""
        row = self._run(self._q.content_version_of, {"p_kind": kind, "p_id": id, "p_version": version}).first()
        return ContentVersionView(*row) if row is not None else None

    # -- small shared state -------------------------------------------------------------------

    def get_kv(self, *, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        value: str | None = self._hot(self._q.get_kv, {"p_key": key}).scalar()
        return value

    def set_kv(self, *, key: str, value: str, now: datetime) -> None:
        """Store ``value`` under ``key`` (insert or replace)."""
        self._hot(self._q.set_kv, {"key": key, "value": value, "updated_at": now})

    def delete_kv_if(self, *, key: str, value: str) -> bool:
        """Delete ``key`` if it still holds ``value`` (compare and delete); True when deleted."""
        return bool(self._run(self._q.delete_kv_if, {"p_key": key, "p_value": value}).rowcount)

    def prune_kv(self, *, prefix: str, before: datetime, limit: int | None = None) -> int:
        """Delete keys starting with ``prefix`` last written before ``before``; returns how many."""
        if not prefix:
            raise ValueError("prefix must not be empty")
        params: dict[str, Any] = {"p_prefix": prefix, "p_len": len(prefix), "p_before": before}
        if limit is None:
            return int(self._run(self._q.prune_kv, params).rowcount)
        params["p_limit"] = limit
        return int(self._run(self._q.prune_kv_some, params).rowcount)

    # -- helpers for tests and admin counters ---------------------------------------------------

    def count(self, model: type[SQLModel], **filters: Any) -> int:
        """Rows of ``model`` whose columns equal ``filters`` (None means IS NULL)."""
        table = metadata.tables[str(model.__tablename__)]
        query = select(func.count()).select_from(table)
        for name, value in filters.items():
            column = table.c[name]
            query = query.where(column.is_(None) if value is None else column == value)
        return int(self._run(query).scalar_one())


def _view(row: Row[Any]) -> ContentRowView:
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
        version=row.version,
    )
