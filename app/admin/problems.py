"""Errors of the admin API as RFC 9457 problem documents with a stable `code`, and the one
table that says how each seat-domain refusal reads there."""
from __future__ import annotations

import json
from typing import Any

from flask import Response

from seats import errors as seat_errors

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://scim-seats.dev/problems/"


class Problem(Exception):
    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": PROBLEM_TYPE_BASE + self.code.lower().replace("_", "-"),
            "title": self.code.replace("_", " ").capitalize(),
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            **self.extra,
        }


def problem_response(problem: Problem) -> Response:
    response = Response(
        json.dumps(problem.to_dict()), status=problem.status, content_type=PROBLEM_MEDIA_TYPE
    )
    if problem.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="admin"'
    return response


_DOMAIN = {
    seat_errors.NoSeatAvailable: (409, "SEAT_LIMIT_REACHED"),
    seat_errors.NoActiveSubscription: (403, "NO_ACTIVE_SUBSCRIPTION"),
    seat_errors.UnknownOrg: (404, "UNKNOWN_ORG"),
    seat_errors.InvalidContract: (400, "INVALID_CONTRACT"),
    seat_errors.InvalidTopUp: (400, "INVALID_ADD_SEATS"),
    seat_errors.SeatReductionNotAllowed: (400, "SEAT_REDUCTION_NOT_ALLOWED"),
    seat_errors.QuoteNotFound: (404, "QUOTE_NOT_FOUND"),
    seat_errors.ReassignmentRefused: (409, "REASSIGNMENT_REFUSED"),
}


_QUOTE_PROBLEMS = {
    seat_errors.QuoteProblem.USED: "QUOTE_USED",
    seat_errors.QuoteProblem.EXPIRED: "QUOTE_EXPIRED",
    seat_errors.QuoteProblem.STALE: "QUOTE_STALE",
}
_KEY_CONFLICTS = {
    seat_errors.KeyConflict.REUSED: (422, "IDEMPOTENCY_KEY_REUSED"),
    seat_errors.KeyConflict.IN_FLIGHT: (409, "IDEMPOTENCY_KEY_IN_FLIGHT"),
}


def from_domain(exc: seat_errors.SeatsError, **extra: Any) -> Problem:
    if isinstance(exc, seat_errors.IdempotencyConflict):
        status, code = _KEY_CONFLICTS[exc.reason]
        return Problem(status, code, str(exc), **extra)
    if isinstance(exc, seat_errors.QuoteUnusable):
        return Problem(409, _QUOTE_PROBLEMS[exc.reason], str(exc), **extra)
    for kind, (status, code) in _DOMAIN.items():
        if isinstance(exc, kind):
            return Problem(status, code, str(exc), **extra)
    return Problem(400, "REFUSED", str(exc), **extra)
