"""Admin roles and the one server-side role check, for the admin API and the console alike.
A refusal is raised as `RoleRequired`; each front end words it in its own format (a problem
document, an HTML page), so hiding a button is never the only guard."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import g

OWNER = "primary_owner"
ADMIN = "admin"
VIEWER = "viewer"
ROLES = (OWNER, ADMIN, VIEWER)
MANAGERS = (OWNER, ADMIN)
"""Who may price seats, reassign them, manage SCIM tokens and alert settings; buying and
changing the contract are the owner's alone."""

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class AdminIdentity:
    """An admin signed in by token (admin API) or session (console)."""

    sub: str
    org_id: str
    org_slug: str
    role: str

    @property
    def actor(self) -> str:
        return f"admin:{self.sub}"


class RoleRequired(Exception):
    """The signed-in admin's role may not do this."""

    def __init__(self, needed: tuple[str, ...], held: str) -> None:
        super().__init__(f"needs the role {' or '.join(needed)}; held {held}")
        self.needed = needed
        self.held = held


def require_role(*roles: str) -> Callable[[F], F]:
    """Checks `g.admin`, which the blueprint's authentication set before any view runs."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.admin.role not in roles:
                raise RoleRequired(roles, g.admin.role)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
