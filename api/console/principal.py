"""Console roles and the account behind a request: plain data, no web framework.

The conversation core's shell (hand-off scope, team statistics) needs these without loading FastAPI;
:mod:`api.console.security` re-exports them for the routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ADMINS", "ANY_ROLE", "EDITORS", "MEMBERS", "READERS", "Principal", "Role"]


class Role(StrEnum):
    """A console account's role."""

    ADMIN = "admin"
    EDITOR = "editor"
    MEMBER = "member"
    VIEWER = "viewer"


READERS = (Role.ADMIN, Role.EDITOR, Role.VIEWER)
EDITORS = (Role.ADMIN, Role.EDITOR)
ADMINS = (Role.ADMIN,)
MEMBERS = (Role.ADMIN, Role.MEMBER)
ANY_ROLE = tuple(Role)


@dataclass(frozen=True, slots=True)
class Principal:
    """The account behind a request, and how it proved itself."""

    account_id: int
    username: str
    display_name: str
    role: Role
    session_id: str
    via: str  # "cookie" or "bearer"
    csrf: str

    def can(self, roles: tuple[Role, ...]) -> bool:
        """True when this account's role is one of ``roles``."""
        return self.role in roles
