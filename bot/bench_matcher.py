"""Matcher benchmark: latency, build time and memory on the real content and with distractors.

``python -m bot.bench_matcher`` prints JSON lines: the figures for the shipped content alone and
with 2,000 synthetic look-alike entries, and the development/extra set rates through the bare
matcher (decision → kind mapping of :func:`matcher_asker`, the answer text plus the title as
the reply). The lead's ``python -m bot bench`` calls :func:`bench_matcher` and
:func:`synthetic_docs`.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any


from bot.evaluation import Asker, load_cases, run_eval
from bot.core.content import faq_index_docs
from faq.loader import load_faq_dir
from faq.matcher import Decision, IndexDoc, Matcher
from flows.catalogue import Catalogue, service_index_docs
from flows.engine import FlowSet, flow_index_docs
from flows.loader import load_catalogue_dir, load_flows_dir

__all__ = [
    "bench_matcher",
    "content_docs",
    "matcher_asker",
    "percentile",
    "rss_mb",
    "synthetic_docs",
]

_ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> float | None:
    """Resident memory of this process in MB (VmRSS of /proc/self/status), None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        return None
    return None


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values`` by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
    return ordered[rank]


def bench_matcher(
    docs: Sequence[IndexDoc],
    queries: Sequence[str],
    *,
    repeats: int = 5,
    today: date | None = None,
) -> dict[str, Any]:
    """Build a matcher on ``docs`` and time ``decide`` over ``queries`` ``repeats`` times."""
    day = today or date(2026, 11, 23)
    rss_before = rss_mb()
    start = time.perf_counter()
    matcher = Matcher(docs)
    build_s = time.perf_counter() - start
    rss_after = rss_mb()
    cold: list[float] = []
    warm: list[float] = []
    for r in range(max(1, repeats)):
        for q in queries:
            t0 = time.perf_counter()
            matcher.decide(q, today=day)
            (cold if r == 0 else warm).append((time.perf_counter() - t0) * 1000.0)
    every = cold + warm
    return {
        "docs": matcher.doc_count,
        "terms": matcher.vocabulary_size,
        "queries": len(queries),
        "repeats": max(1, repeats),
        "build_s": round(build_s, 3),
        "median_ms": round(statistics.median(every), 3) if every else 0.0,
        "p95_ms": round(percentile(every, 0.95), 3),
        "max_ms": round(max(every), 3) if every else 0.0,
        "cold_p95_ms": round(percentile(cold, 0.95), 3),
        "rss_mb": rss_after,
        "index_rss_mb": round(rss_after - rss_before, 1) if rss_after and rss_before else None,
    }


# Vocabulary of look-alike public-service questions (none of them is a real entry).
_ACTIONS = (
    "đăng ký", "cấp đổi", "cấp lại", "tra cứu", "gia hạn", "nộp hồ sơ", "xác nhận", "hủy",
    "khai báo", "cập nhật", "thanh toán", "điều chỉnh", "chuyển nhượng", "đính chính", "thu hồi",
    "tích hợp", "kiểm tra", "in", "sao y", "xin cấp",
)
_OBJECTS = (
    "giấy phép kinh doanh", "sổ đỏ", "thuế thu nhập cá nhân", "chứng chỉ hành nghề y",
    "biển số xe máy", "hộ kinh doanh cá thể", "bảo hiểm xe máy", "hợp đồng điện", "nước sinh hoạt",
    "giấy chứng nhận quyền sử dụng đất", "giấy phép xây dựng", "thẻ bảo hiểm xã hội",
    "sổ tiết kiệm", "mã số thuế", "chữ ký số", "giấy đăng ký xe", "trợ cấp người cao tuổi",
    "học bạ", "bằng tốt nghiệp", "giấy xác nhận độc thân", "giấy chứng tử", "thẻ thương binh",
    "lương hưu", "trợ cấp thai sản", "hóa đơn điện tử", "giấy phép lao động", "thẻ tạm trú người nước ngoài",
    "phí trước bạ", "đăng kiểm ô tô", "giấy khám sức khỏe", "chứng nhận hộ nghèo",
    "tài khoản ngân hàng", "số điện thoại", "căn cước", "hộ chiếu", "tài khoản định danh",
    "phiếu lý lịch", "giấy khai sinh", "hồ sơ cư trú", "giấy phép lái xe quốc tế",
)
_MODIFIERS = (
    "trực tuyến", "tại ủy ban nhân dân xã", "cho người nước ngoài", "khi chuyển nơi ở",
    "cho trẻ em", "qua bưu điện", "trên cổng dịch vụ công tỉnh", "cho doanh nghiệp",
    "ở nước ngoài", "khi bị mất", "khi hết hạn", "cho người khuyết tật", "ở thành phố",
    "cho hộ gia đình", "lần đầu", "trên ứng dụng ngân hàng", "bằng thẻ tín dụng", "tại kho bạc",
)
_FORMS = (
    "{a} {o} {m} như thế nào?", "Thủ tục {a} {o} {m} cần giấy tờ gì?", "{a} {o} {m} mất bao lâu?",
    "Lệ phí {a} {o} {m} là bao nhiêu?", "Ai được {a} {o} {m}?", "Tôi muốn {a} {o} {m}",
    "Có thể {a} {o} {m} không?", "Hướng dẫn {a} {o} {m}",
)
_BODIES = (
    "Bạn chuẩn bị {o} và đến bộ phận một cửa để {a}. Thời gian giải quyết khoảng {n} ngày làm việc.",
    "Việc {a} {o} {m} thực hiện theo quy định hiện hành; lệ phí {n}0.000 đồng.",
    "Bạn có thể {a} {o} {m}; kết quả được trả qua bưu điện hoặc tại nơi nộp.",
)


def synthetic_docs(n: int = 2000, seed: int = 6) -> list[IndexDoc]:
    """``n`` deterministic look-alike Vietnamese public-service entries (distractors)."""
    rng = random.Random(seed)
    docs: list[IndexDoc] = []
    for i in range(n):
        a, o, m = rng.choice(_ACTIONS), rng.choice(_OBJECTS), rng.choice(_MODIFIERS)
        forms = rng.sample(_FORMS, 3)
        phrasings = tuple(f.format(a=a, o=o, m=m) for f in forms)
        body = rng.choice(_BODIES).format(a=a, o=o, m=m, n=rng.randint(1, 15))
        docs.append(IndexDoc(key=f"syn:{i:05d}", kind="faq", phrasings=phrasings, body=body))
    return docs


def content_docs(root: Path = _ROOT, *, with_flows: bool = True) -> tuple[list[IndexDoc], dict[str, str]]:
    """The shipped content's index items, built as the live snapshot builds them, and reply texts.

    Uses the project's own loaders and index builders, so the figures are those of the index the
    bot serves from (invalid files are skipped, as at start-up).
    """
    faq = list(load_faq_dir(root / "faq" / "content").items)
    docs = faq_index_docs(faq)
    replies = {f"{e.kind}:{e.id}": f"{e.title}\n{e.answer}" for e in faq}
    if not with_flows:
        return docs, replies
    flows = FlowSet.build(list(load_flows_dir(root / "flows" / "content").items))
    catalogue = Catalogue.build(list(load_catalogue_dir(root / "flows" / "catalogue").items), [], [])
    docs += flow_index_docs(flows) + service_index_docs(catalogue)
    for flow in flows.all():
        replies[f"flow:{flow.id}"] = f"{flow.title}\n{flow.summary}\n{flow.steps[0].text}"
    for service in catalogue.services:
        replies[f"service:{service.id}"] = f"{service.title}\n{service.name}\n{service.summary}"
    return docs, replies


def _kind_of(decision: Decision) -> str:
    """The CLI ``match.kind`` a bare decision maps to."""
    if decision.outcome == "none" or decision.top is None:
        return "fallback"
    if decision.outcome == "clarify":
        return "clarify"
    return decision.top.kind


def matcher_asker(matcher: Matcher, replies: Mapping[str, str], *, today: date) -> Asker:
    """An ``ask`` for :func:`bot.evaluation.run_eval` using the bare matcher and reply texts."""

    def ask(question: str) -> tuple[list[str], list[str], str, str | None]:
        decision = matcher.decide(question, today=today)
        kind = _kind_of(decision)
        top = decision.top
        if kind == "fallback" or top is None:
            return ["Xin lỗi, tôi chưa hiểu câu hỏi."], [], kind, None
        if kind == "offtopic":
            return ["Câu này nằm ngoài phạm vi hỗ trợ."], [], kind, top.key
        if kind == "clarify":
            labels = [replies.get(c.key, c.key).split("\n", 1)[0] for c in decision.candidates]
            return ["Bạn muốn hỏi về:"], labels, kind, None
        return [replies.get(top.key, "")], [], kind, top.key

    return ask


def _rates(matcher: Matcher, replies: Mapping[str, str], path: Path, today: date) -> dict[str, Any]:
    """Summary of a question set through the bare matcher."""
    summary = run_eval(load_cases(path), matcher_asker(matcher, replies, today=today)).summary()
    return {"set": path.name, "in_scope": summary["in_scope"], "oos": summary["oos"]}


def main(argv: Sequence[str] | None = None) -> int:
    """Print benchmark figures and set rates as JSON lines."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args
    root = Path(args[args.index("--root") + 1]) if "--root" in args else _ROOT
    today = date(2026, 11, 23)
    docs, replies = content_docs(root)
    data = _ROOT / "tests" / "data"
    sets = [p for p in (data / "dev_queries.yaml", data / "extra_queries.yaml") if p.exists()]
    queries = [c.q for p in sets for c in load_cases(p)] or ["vneid tải ở đâu"]
    matcher = Matcher(docs)
    for path in sets:
        print(json.dumps(_rates(matcher, replies, path, today), ensure_ascii=False))
        if verbose:
            report = run_eval(load_cases(path), matcher_asker(matcher, replies, today=today))
            print("\n".join(report.table_lines()), file=sys.stderr)
    real = bench_matcher(docs, queries, repeats=20, today=today)
    print(json.dumps({"bench": "real content", **real}))
    mixed = bench_matcher([*docs, *synthetic_docs(2000, seed=6)], queries, repeats=20, today=today)
    print(json.dumps({"bench": "real + 2000 synthetic", **mixed}))
    big = Matcher([*docs, *synthetic_docs(2000, seed=6)])
    for path in sets:
        print(json.dumps({"with": "+2000 synthetic", **_rates(big, replies, path, today)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
