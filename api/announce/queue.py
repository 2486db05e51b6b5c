"""Who runs a broadcast: procrastinate on PostgreSQL, an in-process runner on SQLite.

Both drive the same :class:`~api.announce.delivery.Broadcaster` over the same delivery rows, which
are the truth; the queue only decides *who* sends *when*.

PostgreSQL (a province, several instances): every app instance (or ``python -m bot announce-worker``)
runs a procrastinate worker on queue ``announce``. The job ``announce.deliver`` carries one
announcement id and the lock ``announce-delivery``: procrastinate runs one such job at a time across
all workers, so a single paced sender speaks for the bot whatever the number of instances. A sweep
every :data:`SWEEP_S` seconds, on every instance, (1) ends the jobs of workers that stopped sending
heartbeats (``kill -9``, a lost machine), which frees the lock, and (2) defers a job for each announcement
that is due or still ``sending`` (the ``queueing_lock`` per announcement keeps it to one waiting job).
So a scheduled announcement starts within seconds of its time, and a crash mid-run resumes on any
instance from the rows. Procrastinate's own schema is installed by :func:`ensure_schema` when absent
(under an advisory lock, so instances starting together install it once): it is the library's to
migrate, not ours.

SQLite (one commune, one process): an asyncio task runs due announcements one at a time, checking
every :data:`SWEEP_S` seconds and at once when the console sends one (:meth:`AnnounceRunner.wake`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

from sqlalchemy.engine import make_url

from api.announce import repo
from api.announce.delivery import Broadcaster, BroadcastSender
from api.announce.telegram import TelegramBroadcastSender
from api.settings import Settings
from api.store import Store

__all__ = ["JOB_LOCK", "QUEUE", "SWEEP_S", "AnnounceRunner", "build_broadcaster", "conninfo", "ensure_schema",
           "make_procrastinate"]

log = logging.getLogger(__name__)

QUEUE = "announce"
JOB_LOCK = "announce-delivery"
TASK_NAME = "announce.deliver"
SWEEP_S = 2.0
#: Heartbeats of procrastinate workers, and (by default) how long without one makes a worker dead:
#: long enough that a busy machine's pause is not taken for a crash (the job would be queued again
#: while it still runs: harmless for the rows, which are leased, but two senders share the pace).
HEARTBEAT_S = 1.0
STALLED_S = 15.0


def conninfo(database_url: str) -> str:
    """A libpq URI for psycopg from our SQLAlchemy URL (query options such as ``search_path`` kept)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_schema(store: Store) -> bool:
    """Install procrastinate's schema in the database when absent; True when it was installed now."""
    from procrastinate.schema import SchemaManager

    with store.unit() as unit:
        unit.advisory_lock(name="procrastinate-schema")
        conn = unit.connection
        if conn.exec_driver_sql("SELECT to_regclass('procrastinate_jobs')").scalar() is not None:
            return False
        # Many statements without parameters: psycopg's simple protocol runs them in one go.
        driver: Any = conn.connection.driver_connection
        driver.execute(SchemaManager.get_schema())
        return True


def make_procrastinate(database_url: str) -> Any:
    """The procrastinate app with the ``announce.deliver`` task (the broadcaster comes with the worker)."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(
        conninfo=conninfo(database_url), min_size=1, max_size=4))

    @app.task(name=TASK_NAME, queue=QUEUE, lock=JOB_LOCK, pass_context=True)
    async def deliver(context: Any, announcement_id: int) -> None:
        broadcaster: Broadcaster = context.additional_context["broadcaster"]
        await broadcaster.run(announcement_id)

    return app


def build_broadcaster(settings: Settings, store: Store) -> tuple[Broadcaster, list[TelegramBroadcastSender]]:
    """The broadcaster for these settings (Telegram when a token is set) and the clients to close."""
    senders: dict[str, BroadcastSender] = {}
    clients: list[TelegramBroadcastSender] = []
    if settings.telegram_bot_token is not None:
        tg = TelegramBroadcastSender(base_url=settings.telegram_api_base_url,
                                     token=settings.telegram_bot_token.get_secret_value(),
                                     concurrency=settings.announce_concurrency)
        senders["telegram"] = tg
        clients.append(tg)
    broadcaster = Broadcaster(store, senders, rate_per_s=settings.announce_rate_per_s,
                              concurrency=settings.announce_concurrency, lease_s=settings.announce_lease_s)
    return broadcaster, clients


class AnnounceRunner:
    """Runs due announcements in this process: a procrastinate worker (PostgreSQL) or a loop (SQLite)."""

    def __init__(self, store: Store, broadcaster: Broadcaster, *, database_url: str,
                 sweep_s: float = SWEEP_S, stalled_s: float = STALLED_S) -> None:
        self.store = store
        self.stalled_s = stalled_s
        self.broadcaster = broadcaster
        self.database_url = database_url
        self.sweep_s = sweep_s
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._procrastinate: Any = None

    @property
    def postgresql(self) -> bool:
        """True when the queue is procrastinate."""
        return self.store.dialect == "postgresql"

    async def start(self) -> None:
        """Start the worker and the sweep (in the background)."""
        if self.postgresql:
            await asyncio.to_thread(ensure_schema, self.store)
            self._procrastinate = make_procrastinate(self.database_url)
            await self._procrastinate.open_async()
            self._tasks.append(asyncio.create_task(self._procrastinate.run_worker_async(
                queues=[QUEUE], concurrency=1, install_signal_handlers=False, listen_notify=True,
                update_heartbeat_interval=HEARTBEAT_S, stalled_worker_timeout=self.stalled_s,
                delete_jobs="successful", fetch_job_polling_interval=1.0,
                additional_context={"broadcaster": self.broadcaster}), name="announce-worker"))
        self._tasks.append(asyncio.create_task(self._sweep_loop(), name="announce-sweep"))

    def wake(self) -> None:
        """Look for due announcements now (the console just sent one)."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop the loops (rows being sent keep their lease and are resumed by the next run)."""
        for task in reversed(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10)
        self._tasks.clear()
        if self._procrastinate is not None:
            with contextlib.suppress(Exception):
                await self._procrastinate.close_async()
            self._procrastinate = None

    def _due(self) -> list[int]:
        with self.store.unit(readonly=True) as unit:
            return repo.due_announcements(unit, now=dt.datetime.now(dt.UTC))

    async def sweep(self) -> list[int]:
        """One sweep: recover stalled jobs and queue (PostgreSQL) or run (SQLite) what is due."""
        due = await asyncio.to_thread(self._due)
        if not self.postgresql:
            for announcement_id in due:
                await self.broadcaster.run(announcement_id)
            return due
        from procrastinate import exceptions, jobs

        manager = self._procrastinate.job_manager
        for job in await manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=self.stalled_s):
            # Its worker died: end the job (which frees the lock); the deferral below queues a new
            # one for the announcement, which resumes from the delivery rows.
            log.warning("announce: job %s of a stopped worker is ended; the announcement is queued again", job.id)
            await manager.finish_job(job, status=jobs.Status.FAILED, delete_job=False)
        deliver = self._procrastinate.tasks[TASK_NAME]
        for announcement_id in due:
            with contextlib.suppress(exceptions.AlreadyEnqueued):
                await deliver.configure(queueing_lock=f"announce-{announcement_id}").defer_async(
                    announcement_id=announcement_id)
        return due

    async def _sweep_loop(self) -> None:
        failures = 0
        while True:
            try:
                await self.sweep()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database may be down: the next sweep retries
                failures += 1
                if failures in (1, 10) or failures % 100 == 0:
                    log.exception("announce: the sweep failed (%d in a row)", failures)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.sweep_s)
            self._wake.clear()
