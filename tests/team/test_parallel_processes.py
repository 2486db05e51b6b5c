"""Exact counts from several processes: two app processes on one PostgreSQL schema, parallel chat requests.

Members join with ``/thamgia CODE`` (more accounts than the invite's uses, each trying twice),
citizens arrive through a member's link and say they finished (each twice, on either process):
the totals are exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from api.store import Store
from api.store.db import make_engine
from api.team import repo
from tests.databases import postgres_schema_url
from tests.e2e.test_content_two_processes import _serve
from tests.team.factories import add_member, make_tree

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def two_apps_on_postgres(postgres_url: str) -> Iterator[tuple[str, str, str]]:
    with postgres_schema_url(postgres_url, prefix="team2p") as db_url:
        first, a = _serve(db_url)  # A migrates first; B finds the schema in place
        procs = [first]
        try:
            second, b = _serve(db_url)
            procs.append(second)
            yield db_url, a, b
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except Exception:  # noqa: BLE001 - a stuck process is killed below
                    proc.kill()
                    proc.wait()


def test_parallel_requests_on_two_processes_count_exactly(two_apps_on_postgres: tuple[str, str, str]) -> None:
    db_url, a, b = two_apps_on_postgres
    engine = make_engine(db_url)
    store = Store(engine)
    try:
        tree = make_tree(store, max_uses=8, name="Tổ song song")
        member = add_member(store, tree.team, "Đỗ Minh Quân")

        def say(i: int, user: str, body: dict[str, str]) -> dict[str, object]:
            base = (a, b)[i % 2]
            r = httpx.post(f"{base}/api/v1/chat", json={"user_id": user, **body}, timeout=30)
            assert r.status_code == 200, r.text
            result: dict[str, object] = r.json()
            return result

        joins = [(i, f"joiner-{i % 12}", {"text": f"thamgia {tree.code.lower()}"}) for i in range(24)]
        arrivals = [(i, f"citizen-{i % 30}", {"payload": f"f-install-done-r{member.referral_code}"}) for i in range(60)]
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda job: say(*job), joins + arrivals))
            done = [(i, f"citizen-{i % 30}", {"payload": "dy-install"}) for i in range(60)]
            list(pool.map(lambda job: say(*job), done))

        with store.unit() as unit:
            joined = unit.connection.exec_driver_sql(
                "SELECT count(*) FROM member_chats WHERE external_id LIKE 'joiner-%%'").scalar_one()
            uses = unit.connection.exec_driver_sql("SELECT uses FROM invites").scalar_one()
            (stats,) = repo.member_stats(unit, members=[member])
        assert (joined, uses) == (8, 8)  # the invite's use limit, though 12 accounts tried twice
        assert (stats.reached, stats.completed, stats.completed_citizens) == (30, 30, 30)
    finally:
        engine.dispose()
