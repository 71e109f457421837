"""Imports every admin route module so their views are attached to the blueprint."""
from app.admin import (
    alerts_api,  # noqa: F401
    audit_api,  # noqa: F401
    directory_api,  # noqa: F401
    openapi,  # noqa: F401
    seats_api,  # noqa: F401
    tokens_api,  # noqa: F401
)
from app.admin.blueprint import bp

__all__ = ["bp"]
