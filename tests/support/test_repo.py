"""Support point tables on SQLite and PostgreSQL: validation, windows, listing, deletion."""

from __future__ import annotations

import datetime as dt

import pytest

from api.store import Store
from api.support import repo
from bot.core.support import Window, rank
from tests.support.factories import BEN_THANH, HCM, HOAN_KIEM, SPOT

NOW = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)  # Sunday 10:00 in Vietnam
T = dt.time


def _data(**changes: object) -> repo.PointData:
    base: dict[str, object] = {
        "name": "  Điểm  thử ", "kind": "cultural_house", "address": "Nhà văn hóa thử", "commune_code": BEN_THANH,
        "lat": SPOT[0], "lon": SPOT[1], "services": ("install",),
        "windows": (Window(6, None, T(18), T(21)), Window(None, dt.date(2026, 12, 6), T(8), T(11))),
    }
    base.update(changes)
    return repo.PointData(**base)  # type: ignore[arg-type]


def test_create_list_update_delete(store: Store) -> None:
    with store.unit() as unit:
        made = repo.create_point(unit, _data(), by="t", now=NOW)
    assert made.name == "Điểm thử" and made.province_code == HCM and len(made.windows) == 2
    with store.unit() as unit:
        assert [p.id for p in repo.list_points(unit, commune_code=BEN_THANH)] == [made.id]
        assert repo.list_points(unit, commune_code=HOAN_KIEM) == []
        assert repo.communes_with_points(unit, HCM) == [BEN_THANH]
        changed = repo.update_point(unit, made.id, _data(name="Đổi tên", windows=()), by="t", now=NOW)
    assert changed is not None and changed.name == "Đổi tên" and changed.windows == ()
    with store.unit() as unit:
        assert repo.delete_point(unit, made.id)
        assert not repo.delete_point(unit, made.id)
        assert repo.update_point(unit, made.id, _data(), by="t", now=NOW) is None


def test_next_window_and_open_now(store: Store) -> None:
    with store.unit() as unit:
        made = repo.create_point(unit, _data(), by="t", now=NOW)
    with store.unit(readonly=True) as unit:
        (ranked,) = rank(repo.list_points(unit), NOW)
    assert ranked.open_now and ranked.next_window is not None
    assert ranked.next_window[0].isoformat() == "2026-12-06T08:00:00+07:00"
    later = NOW + dt.timedelta(hours=2)  # 12:00: the one-off is over; next is this Sunday 18:00
    (ranked,) = rank([made], later)
    assert not ranked.open_now and ranked.next_window is not None
    assert ranked.next_window[0].isoformat() == "2026-12-06T18:00:00+07:00"


@pytest.mark.parametrize(("changes", "field"), [
    ({"commune_code": 99_999_999}, "commune_code"),
    ({"province_code": 1}, "province_code"),
    ({"lat": 91.0}, "lat"),
    ({"lon": -181.0}, "lon"),
    ({"windows": (Window(0, None, T(10), T(9)),)}, "windows"),
    ({"windows": (Window(None, None, T(8), T(9)),)}, "windows"),
    ({"kind": "spa"}, "kind"),
    ({"name": "   "}, "name"),
])
def test_refused(store: Store, changes: dict[str, object], field: str) -> None:
    with store.unit() as unit, pytest.raises(repo.SupportError) as caught:
        repo.create_point(unit, _data(**changes), by="t", now=NOW)
    assert caught.value.field == field
