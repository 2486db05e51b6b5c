"""Every module's ``__all__`` is sorted, has no duplicates and names things that exist.

The order is ruff's RUF022 ("isort-style"): CONSTANTS, then Classes, then functions and the rest,
each group in natural order, so ``ruff check --fix`` and this test agree.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType

import pytest

PACKAGES = ("api", "bot", "faq", "flows")


def _isort_key(name: str) -> tuple[int, list[int | str]]:
    group = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    natural: list[int | str] = [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]
    return group, natural


def _skipped(name: str) -> bool:
    # Entry points and migration scripts run code when imported; they export nothing.
    return name.endswith(".__main__") or name == "api.store.migrations" or name.startswith("api.store.migrations.")


def _modules() -> list[str]:
    names: list[str] = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        # A subpackage that fails to import is reported by its own test case below.
        found = pkgutil.walk_packages(package.__path__, prefix=f"{package_name}.", onerror=lambda _: None)
        names.extend(info.name for info in found if not _skipped(info.name))
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_all_is_sorted_and_complete(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        return
    assert list(exported) == sorted(exported, key=_isort_key), f"{name}.__all__ is not in RUF022 order"
    assert len(set(exported)) == len(exported), f"{name}.__all__ has duplicates"
    missing = [member for member in exported if not hasattr(module, member)]
    assert not missing, f"{name}.__all__ names missing members: {missing}"
