"""What a command-line start loads: the conversation and the CLI answer without the web framework.

``python -m bot ask`` and every test subprocess import the conversation; FastAPI and Starlette cost
about 0.25 s of CPU to import and are needed only by ``serve``.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

WEB = ("fastapi", "starlette")


@pytest.mark.parametrize("module", ["api.conversation", "api.bootstrap"])
def test_the_conversation_loads_without_the_web_framework(module: str) -> None:
    probe = f"import sys, {module}; print(','.join(m for m in {WEB!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "", f"{module} pulled in {done.stdout.strip()}"


def test_the_console_still_offers_roles_and_principals_from_security() -> None:
    from api.console import principal, security

    assert security.Role is principal.Role
    assert security.Principal is principal.Principal
    assert security.EDITORS == (principal.Role.ADMIN, principal.Role.EDITOR)
