"""Imports every admin route module so their views are attached to the blueprint."""
from app.admin import seats_api  # noqa: F401
from app.admin import alerts_api  # noqa: F401
from app.admin import tokens_api  # noqa: F401
from app.admin import directory_api  # noqa: F401
from app.admin import audit_api  # noqa: F401
from app.admin import openapi  # noqa: F401
from app.admin.blueprint import bp

__all__ = ["bp"]
