"""Imports every console view module so their views are attached to the blueprint."""
from app.console import (
    audit,  # noqa: F401
    billing,  # noqa: F401
    signin,  # noqa: F401
    tokens,  # noqa: F401
    usage,  # noqa: F401
    users,  # noqa: F401
)
from app.console.blueprint import bp

__all__ = ["bp"]
