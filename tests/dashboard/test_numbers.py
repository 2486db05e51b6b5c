"""Every number of the dashboard JSON against the recorded rows, on SQLite and PostgreSQL.

The expected values are computed here in Python from the rows as stored (``message_log``,
``users``, ``events``, ``unanswered``, team and hand-off tables), independently of the SQL the
dashboard runs; a few are also pinned to what the seeding is known to have produced.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import insert

from api.dashboard.queries import OUTCOMES, TOP, outcome_of, percentile, vn_day
from api.store.models import metadata
from tests.dashboard.conftest import AFTER_MIDNIGHT, BEFORE_MIDNIGHT, World

VN = dt.timezone(dt.timedelta(hours=7))
EXCLUDED = ("eval", "cli")


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _day(value: dt.datetime) -> str:
    return _aware(value).astimezone(VN).date().isoformat()


def _in_window(at: dt.datetime, since: dt.date | None, until: dt.date | None) -> bool:
    day = _aware(at).astimezone(VN).date()
    return (since is None or day >= since) and (until is None or day <= until)


def _messages(w: World, *, channel: str | None = None, since: dt.date | None = None,
              until: dt.date | None = None, users: set[int] | None = None) -> list[tuple[Any, str]]:
    """Counted message-log rows with their citizen's channel."""
    chan = {u.id: u.channel for u in w.rows("users")}
    return [(m, chan[m.user_id]) for m in w.rows("message_log")
            if m.source not in EXCLUDED and m.user_id is not None
            and (channel is None or chan[m.user_id] == channel) and (users is None or m.user_id in users)
            and _in_window(m.created_at, since, until)]


def expected_traffic(w: World, **kw: Any) -> list[dict[str, Any]]:
    per: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, set()])
    for m, channel in _messages(w, **kw):
        if m.direction == "in":
            slot = per[(_day(m.created_at), channel)]
            slot[0] += 1
            slot[1].add(m.user_id)
    return [{"day": d, "channel": c, "messages": v[0], "citizens": len(v[1])} for (d, c), v in sorted(per.items())]


def expected_channels(w: World, **kw: Any) -> list[dict[str, Any]]:
    per: dict[str, list[Any]] = defaultdict(lambda: [0, set()])
    everyone: set[int] = set()
    for m, channel in _messages(w, **kw):
        if m.direction == "in":
            per[channel][0] += 1
            per[channel][1].add(m.user_id)
            everyone.add(m.user_id)
    rows = [{"channel": c, "messages": v[0], "citizens": len(v[1])} for c, v in sorted(per.items())]
    return rows + [{"channel": "Tổng", "messages": sum(v[0] for v in per.values()), "citizens": len(everyone)}]


def expected_outcomes(w: World, **kw: Any) -> list[dict[str, Any]]:
    counts = Counter(outcome_of(m.match_kind) for m, _ in _messages(w, **kw) if m.direction == "out")
    total = sum(counts.values())
    return [{"outcome": k, "label": label, "replies": counts[k], "share": round(100 * counts[k] / total, 1)}
            for k, (label, _) in OUTCOMES.items()]


def expected_top(w: World, **kw: Any) -> list[tuple[str, str, int]]:
    counts = Counter((m.match_kind, m.match_id) for m, _ in _messages(w, **kw)
                     if m.direction == "out" and m.match_kind in ("faq", "service") and m.match_id)
    return sorted(((k, i, n) for (k, i), n in counts.items()), key=lambda r: (-r[2], r[0], r[1]))[:TOP]


def _events(w: World, names: tuple[str, ...]) -> list[Any]:
    return sorted((e for e in w.rows("events") if e.name in names and e.source not in EXCLUDED
                   and e.user_id is not None), key=lambda e: e.id)


def expected_funnel(w: World) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], list[int]]]:
    reached: dict[tuple[str, str], set[int]] = defaultdict(set)
    for e in _events(w, ("flow_started", "flow_step")):
        reached[(e.data["flow"], e.data["step"])].add(e.user_id)
    last: dict[tuple[int, str], Any] = {}
    for e in _events(w, ("flow_started", "flow_step", "flow_finished")):
        last[(e.user_id, e.data["flow"])] = e
    ended: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for e in last.values():
        ended[(e.data["flow"], e.data["step"])][1 if e.name == "flow_finished" else 0] += 1
    return {k: len(v) for k, v in reached.items()}, dict(ended)


async def test_every_number_matches_the_recorded_rows(world: World) -> None:
    w = world
    got = await w.dashboard()
    assert [s for s in got] == ["channels", "traffic", "outcomes", "top_questions", "unanswered", "funnel",
                                "completions", "referrals", "handoffs", "deliveries"]
    assert got["traffic"]["rows"] == expected_traffic(w)
    assert got["channels"]["rows"] == expected_channels(w)
    assert got["outcomes"]["rows"] == expected_outcomes(w)
    top = [(r["kind"], r["id"], r["answered"]) for r in got["top_questions"]["rows"]]
    assert top == expected_top(w)

    # Pinned: five web citizens, two on Telegram, one on each Zalo channel; no CLI or eval traffic.
    channels = {r["channel"]: r for r in got["channels"]["rows"]}
    assert {c: r["citizens"] for c, r in channels.items()} == {"web": 5, "telegram": 2, "zalo_oa": 1,
                                                               "zalo_bot": 1, "Tổng": 9}
    assert ("faq", "fee_residence", 1) in top and ("service", "svc-x", 1) in top
    # The Vietnam midnight: the row at 16:59:59 UTC is on 30/11, the one at 17:00 UTC on 01/12.
    zalo_bot = {r["day"]: r["messages"] for r in got["traffic"]["rows"] if r["channel"] == "zalo_bot"}
    assert zalo_bot == {"2026-11-30": 1, "2026-12-01": 1}

    # Unanswered groups: every counted question is in one group, the open ones are counted open.
    questions = [u for u in w.rows("unanswered") if u.source not in EXCLUDED and u.question]
    groups = got["unanswered"]["rows"]
    assert sum(g["asked"] for g in groups) == len(questions)
    assert sum(g["open"] for g in groups) == sum(u.status == "open" for u in questions)
    assert {g["question"] for g in groups} <= {u.question for u in questions}
    assert len(questions) >= 2 and all("eval" != u.source for u in questions)

    # Funnel: reached per step and where each citizen's last step event was.
    reached, ended = expected_funnel(w)
    rows = got["funnel"]["rows"]
    for r in rows:
        assert r["reached"] == reached.get((r["flow"], r["step"]), 0), r
        assert [r["left"], r["finished"]] == ended.get((r["flow"], r["step"]), [0, 0]), r
    seen = {(r["flow"], r["step"]) for r in rows}
    assert set(reached) <= seen and set(ended) <= seen
    install = [r for r in rows if r["flow"] == "install"]
    assert install[0]["step"] == "start" and install[0]["n"] == 1
    assert install[-1]["step"] == "zz_removed"  # a step no longer in the guide comes last, not lost
    assert sum(r["finished"] for r in install) == 1  # dash-w1 reached the last step by the member's link

    # Completions: «Đã làm xong» / «Chưa xong» per guide, and completions credited to members.
    said: dict[tuple[str, str], set[int]] = defaultdict(set)
    for e in _events(w, ("guide_done", "guide_not_done")):
        said[(e.data["flow"], e.name)].add(e.user_id)
    credited = Counter(c.flow for c in w.rows("completions"))
    for r in got["completions"]["rows"]:
        assert r["done"] == len(said[(r["flow"], "guide_done")]), r
        assert r["not_done"] == len(said[(r["flow"], "guide_not_done")]), r
        assert r["credited"] == credited.get(r["flow"], 0), r
    by_flow = {r["flow"]: r for r in got["completions"]["rows"]}
    assert (by_flow["install"]["done"], by_flow["install"]["credited"]) == (1, 1)
    assert by_flow["activate"]["not_done"] == 1

    # Referrals per team: attributions and credited completions of its members.
    member_unit = {m.id: m.unit_id for m in w.rows("members")}
    unit_name = {u.id: u.name for u in w.rows("org_units")}
    reached_by = Counter(unit_name[member_unit[a.member_id]] for a in w.rows("attributions"))
    done_by = Counter(unit_name[member_unit[c.member_id]] for c in w.rows("completions"))
    assert {r["team"]: (r["reached"], r["completions"]) for r in got["referrals"]["rows"]} == {
        t: (reached_by[t], done_by[t]) for t in set(reached_by) | set(done_by)}
    assert {r["team"]: r["reached"] for r in got["referrals"]["rows"]} == {
        "Tổ công nghệ số khu phố 3": 1, "Tổ công nghệ số thôn Đông": 1}
    assert all(r["commune"] == "Phường Kinh Bắc" for r in got["referrals"]["rows"])

    # Hand-offs: from the hand-off rows and their staff lines.
    handoffs = w.rows("handoffs")
    staff = {m.handoff_id for m in w.rows("handoff_messages") if m.author == "staff"}
    waits = [(_aware(h.claimed_at) - _aware(h.created_at)).total_seconds() / 60 for h in handoffs if h.claimed_at]
    metrics = {r["metric"]: r["value"] for r in got["handoffs"]["rows"]}
    # dash-w3's two misses in a row, dash-w4 and dash-w5 asking, and the direct row.
    assert metrics["opened"] == len(handoffs) == 4
    assert metrics["waiting"] == sum(h.status in ("open", "escalated") for h in handoffs) == 2
    assert metrics["claimed"] == len(waits) == 2
    assert metrics["answered"] == len(staff) == 1
    assert metrics["escalated"] == 0
    assert metrics["answered_share"] == 25.0
    assert metrics["wait_median_min"] == round(sum(waits) / 2, 1)  # the median of two waits
    p90 = percentile(waits, 90)
    assert p90 is not None and metrics["wait_p90_min"] == round(p90, 1) == 12.0


async def test_date_range_channel_and_commune_filters(world: World) -> None:
    w = world
    day = dt.date(2026, 12, 1)
    got = await w.dashboard(**{"from": "2026-12-01", "to": "2026-12-01"})
    assert got["traffic"]["rows"] == expected_traffic(w, since=day, until=day)
    assert got["traffic"]["rows"] == [{"day": "2026-12-01", "channel": "zalo_bot", "messages": 1, "citizens": 1}]
    assert got["outcomes"]["rows"] == expected_outcomes(w, since=day, until=day)
    assert {r["metric"]: r["value"] for r in got["handoffs"]["rows"]}["opened"] == 1
    got = await w.dashboard(to="2026-11-30")
    assert got["traffic"]["rows"] == [{"day": "2026-11-30", "channel": "zalo_bot", "messages": 1, "citizens": 1}]

    got = await w.dashboard(channel="telegram")
    assert got["traffic"]["rows"] == expected_traffic(w, channel="telegram")
    assert got["channels"]["rows"] == expected_channels(w, channel="telegram")
    assert got["outcomes"]["rows"] == expected_outcomes(w, channel="telegram")
    assert [(r["kind"], r["id"], r["answered"]) for r in got["top_questions"]["rows"]] == expected_top(
        w, channel="telegram")
    assert {r["team"] for r in got["referrals"]["rows"]} == {"Tổ công nghệ số thôn Đông"}
    assert {r["metric"]: r["value"] for r in got["handoffs"]["rows"]}["opened"] == 0

    # The commune: only citizens attributed to a member of it (dash-w1, by the first team's link).
    attributed = {a.user_id for a in w.rows("attributions")
                  if {m.id: m.unit_id for m in w.rows("members")}[a.member_id] == w.team}
    got = await w.dashboard(commune=w.commune)
    assert got["channels"]["rows"] == expected_channels(w, users=attributed)
    assert got["channels"]["rows"][-1]["citizens"] == 1
    assert got["outcomes"]["rows"] == expected_outcomes(w, users=attributed)
    assert {r["team"] for r in got["referrals"]["rows"]} == {"Tổ công nghệ số khu phố 3"}
    assert "liên kết của một thành viên tổ" in got["channels"]["note"]
    got = await w.dashboard(commune=w.other_commune, channel="web")
    assert got["channels"]["rows"] == [{"channel": "Tổng", "messages": 0, "citizens": 0}]


async def test_announcement_delivery_counts_each_outcome_on_its_vietnam_day(world: World) -> None:
    w = world
    users = sorted(w.rows("users"), key=lambda u: u.id)
    web = [u for u in users if u.channel == "web"]
    tg = [u for u in users if u.channel == "telegram"]
    now = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    with w.store.unit() as unit:
        aid = unit.connection.execute(insert(metadata.tables["announcements"]).values(
            title="Lịch hỗ trợ chủ nhật", text="…", buttons=[], communes=[], status="done", created_by="admin",
            created_at=now, updated_at=now)).inserted_primary_key[0]
        deliveries = metadata.tables["announce_deliveries"]
        rows = [(web[0], "sent", BEFORE_MIDNIGHT), (web[1], "sent", AFTER_MIDNIGHT), (web[2], "blocked", None),
                (tg[0], "failed", None), (tg[1], "unconfirmed", None), (web[3], "inflight", None)]
        for user, status, sent_at in rows:
            unit.connection.execute(insert(deliveries).values(
                announcement_id=aid, user_id=user.id, channel=user.channel, chat_id=None, status=status,
                attempts=1, next_attempt_at=now, sent_at=sent_at, updated_at=sent_at or now))
    try:
        got = (await w.dashboard())["deliveries"]["rows"]
        mine = [r for r in got if r["id"] == aid]
        assert mine == [{"id": aid, "title": "Lịch hỗ trợ chủ nhật", "sent": 2, "unconfirmed": 1, "failed": 1,
                         "blocked": 1, "left": 0, "skipped": 0, "waiting": 1}]
        # A sent row counts on the day it was sent: 16:59:59 UTC is still 30/11 in Vietnam.
        day = [r for r in (await w.dashboard(**{"from": "2026-12-01", "to": "2026-12-01"}))["deliveries"]["rows"]
               if r["id"] == aid]
        assert day and (day[0]["sent"], day[0]["blocked"], day[0]["waiting"], day[0]["unconfirmed"]) == (1, 1, 1, 1)
        tg_only = [r for r in (await w.dashboard(channel="telegram"))["deliveries"]["rows"] if r["id"] == aid]
        assert tg_only and (tg_only[0]["sent"], tg_only[0]["failed"], tg_only[0]["waiting"],
                            tg_only[0]["unconfirmed"]) == (0, 1, 0, 1)
    finally:
        with w.store.unit() as unit:
            unit.connection.execute(metadata.tables["announcements"].delete().where(
                metadata.tables["announcements"].c.id == aid))


async def test_bad_filters_and_roles(world: World) -> None:
    c, auth = world.client, world.auth
    url = "/api/v1/admin/dashboard"
    for params, field in (({"from": "2026-12-05", "to": "2026-12-01"}, "from"), ({"from": "1900-01-01"}, "from"),
                          ({"to": "9999-12-31"}, "to"), ({"commune": str(world.team)}, "commune"),
                          ({"commune": "2147483647"}, "commune")):
        r = await c.get(url, params=params, headers=auth["admin"])
        assert r.status_code == 422, (params, r.text)
        assert r.json()["detail"][0]["loc"] == ["query", field]
    for params in ({"from": "hôm qua"}, {"channel": "cli"}, {"commune": "0"}, {"commune": "99999999999"}):
        assert (await c.get(url, params=params, headers=auth["admin"])).status_code == 422, params
    assert (await c.get(url)).status_code == 401
    assert (await c.get(url, headers=auth["member"])).status_code == 403
    for role in ("admin", "editor", "viewer"):
        assert (await c.get(url, headers=auth[role])).status_code == 200
    assert (await c.get(f"{url}/nope.csv", headers=auth["admin"])).status_code == 404
    assert (await c.get(f"{url}/NOPE!.csv", headers=auth["admin"])).status_code == 422


async def test_vietnam_day_bucketing_on_this_backend(world: World) -> None:
    """The one bucketing helper, straight on the database: 16:59:59 UTC and 17:00 UTC fall on two days."""
    from sqlalchemy import select

    log = metadata.tables["message_log"]
    with world.store.unit(readonly=True) as unit:
        day = vn_day(log.c.created_at, world.store.dialect)
        found = unit.connection.execute(select(log.c.created_at, day).where(
            log.c.created_at.in_((BEFORE_MIDNIGHT, AFTER_MIDNIGHT)))).all()
    days = {_aware(at): str(d) for at, d in found}
    assert days == {BEFORE_MIDNIGHT: "2026-11-30", AFTER_MIDNIGHT: "2026-12-01"}
