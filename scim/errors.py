"""SCIM protocol errors (RFC 7644 §3.12) and the one table that says how each seat-domain
refusal reads in SCIM."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from seats import errors as seat_errors

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status)}
        if self.scim_type:
            body["scimType"] = self.scim_type
        body["detail"] = self.detail
        return body


# RFC 7644 §3.12: each scimType comes with one status; a refusal names its kind, not both.
invalid_value = partial(ScimError, 400, scim_type="invalidValue")
invalid_syntax = partial(ScimError, 400, scim_type="invalidSyntax")
invalid_filter = partial(ScimError, 400, scim_type="invalidFilter")
invalid_path = partial(ScimError, 400, scim_type="invalidPath")
no_target = partial(ScimError, 400, scim_type="noTarget")
mutability = partial(ScimError, 400, scim_type="mutability")
uniqueness = partial(ScimError, 409, scim_type="uniqueness")
not_found = partial(ScimError, 404)


def _seat_limit(exc: seat_errors.NoSeatAvailable) -> ScimError:
    return ScimError(
        403,
        f"SEAT_LIMIT_REACHED: {exc}. "
        "A primary owner must add seats, or an admin must deactivate a user; then retry.",
    )


def _no_subscription(exc: seat_errors.NoActiveSubscription) -> ScimError:
    return ScimError(
        403,
        f"NO_ACTIVE_SUBSCRIPTION: the contract term ended on {exc.term_end} and does not "
        "renew. Reads, deactivations and deletions keep working.",
    )


_DOMAIN_TO_SCIM: dict[type[seat_errors.SeatsError], Callable[[Any], ScimError]] = {
    seat_errors.NoSeatAvailable: _seat_limit,
    seat_errors.NoActiveSubscription: _no_subscription,
}


def from_domain(exc: seat_errors.SeatsError) -> ScimError:
    """How a seat-domain refusal reads to a SCIM client."""
    for kind, render in _DOMAIN_TO_SCIM.items():
        if isinstance(exc, kind):
            return render(exc)
    return ScimError(400, str(exc))
