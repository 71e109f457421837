"""Imports every console view module so their views are attached to the blueprint."""
from app.console import audit  # noqa: F401
from app.console import billing  # noqa: F401
from app.console import signin  # noqa: F401
from app.console import tokens  # noqa: F401
from app.console import usage  # noqa: F401
from app.console import users  # noqa: F401
from app.console.blueprint import bp

__all__ = ["bp"]
