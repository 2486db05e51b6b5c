"""Vietnam's administrative units after the 2025 reorganisation (34 provinces, communes and wards, no
districts), from the ``vietnam-provinces`` package: its default API is the new division.

Lookups by code and by a typed name (folded: no diacritics, no case, «tỉnh»/«phường»… optional).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from vietnam_provinces import Province, Ward

from faq.normalize import fold

__all__ = ["Unit", "province", "provinces", "search_province", "search_ward", "ward", "wards_of"]

_PREFIXES = ("thanh pho ", "tinh ", "phuong ", "xa ", "dac khu ", "tp ")


@dataclass(frozen=True, slots=True)
class Unit:
    """A province or a commune/ward: its code, name and province code."""

    code: int
    name: str
    province_code: int


def _bare(name: str) -> str:
    f = fold(name)
    for prefix in _PREFIXES:
        if f.startswith(prefix):
            return f[len(prefix):]
    return f


@cache
def provinces() -> tuple[Unit, ...]:
    """The 34 provinces and centrally-run cities, by name."""
    units = (Unit(int(p.code), p.name, int(p.code)) for p in Province.iter_all())
    return tuple(sorted(units, key=lambda u: _bare(u.name)))


@cache
def _wards() -> dict[int, Unit]:
    return {int(w.code): Unit(int(w.code), w.name, int(w.province_code)) for w in Ward.iter_all()}


def province(code: int) -> Unit | None:
    """A province by code."""
    return next((p for p in provinces() if p.code == code), None)


def ward(code: int) -> Unit | None:
    """A commune, ward or special zone by code."""
    return _wards().get(code)


@cache
def wards_of(province_code: int) -> tuple[Unit, ...]:
    """A province's communes and wards, by name."""
    return tuple(sorted((w for w in _wards().values() if w.province_code == province_code),
                        key=lambda u: _bare(u.name)))


def _search(units: Sequence[Unit], text: str) -> list[Unit]:
    wanted = fold(text)
    bare = _bare(text)
    if not bare:
        return []
    exact = [u for u in units if fold(u.name) == wanted or _bare(u.name) == bare]
    if exact:
        return exact
    return [u for u in units if _bare(u.name).startswith(bare)]


def search_province(text: str) -> list[Unit]:
    """Provinces whose name matches a typed text (exact first, else by prefix)."""
    return _search(provinces(), text)


def search_ward(province_code: int, text: str) -> list[Unit]:
    """A province's communes and wards whose name matches a typed text."""
    return _search(wards_of(province_code), text)
