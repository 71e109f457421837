"""The HTTP status of each seat-domain refusal, for every front end that speaks HTTP status
codes of its own (the admin API's problem documents, the console's error pages). The SCIM API
follows RFC 7644 §3.12 instead (scim.errors.from_domain)."""
from __future__ import annotations

from seats import errors

_STATUS: dict[type[errors.SeatsError], int] = {
    errors.NoSeatAvailable: 409,
    errors.NoActiveSubscription: 403,
    errors.UnknownOrg: 404,
    errors.InvalidContract: 400,
    errors.InvalidTopUp: 400,
    errors.InvalidSeatType: 400,
    errors.UnknownSeatType: 404,
    errors.SeatReductionNotAllowed: 400,
    errors.QuoteNotFound: 404,
    errors.QuoteUnusable: 409,
    errors.ReassignmentRefused: 409,
    errors.InvalidSeatPolicy: 400,
    errors.SeatRequestNotFound: 404,
    errors.SeatRequestClosed: 409,
}


def http_status(refusal: errors.SeatsError) -> int:
    """422 for a key reused with another request (the request cannot be processed as sent),
    409 for one still running; 400 for a refusal without an entry."""
    if isinstance(refusal, errors.IdempotencyConflict):
        return 422 if refusal.reason is errors.KeyConflict.REUSED else 409
    return next((status for kind, status in _STATUS.items() if isinstance(refusal, kind)), 400)
