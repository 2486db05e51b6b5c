"""Small FAQ content written to a temporary directory (never the real content)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def faq_entry(entry_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid FAQ entry dict; override any field."""
    entry: dict[str, Any] = {
        "id": entry_id,
        "title": f"Mục {entry_id}",
        "questions": [f"hỏi về {entry_id}", f"{entry_id} là gì"],
        "answer": f"Đây là câu trả lời cho {entry_id}, đủ dài để hợp lệ.",
        "source": "Cổng dịch vụ công quốc gia",
        "reviewed": "2025-05-01",
    }
    entry.update(overrides)
    return entry


def write_faq(directory: Path, name: str, entries: list[dict[str, Any]]) -> Path:
    """Write ``entries:`` to ``directory/name`` as YAML."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(
        yaml.safe_dump({"entries": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path
