"""Errors of the admin API as RFC 9457 problem documents with a stable `code`, and the one
table that says which code each seat-domain refusal has there (its status: app.refusals)."""
from __future__ import annotations

import json
from enum import Enum
from typing import Any

from flask import Response

from app.refusals import http_status
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


_CODES = {
    seat_errors.NoSeatAvailable: "SEAT_LIMIT_REACHED",
    seat_errors.NoActiveSubscription: "NO_ACTIVE_SUBSCRIPTION",
    seat_errors.UnknownOrg: "UNKNOWN_ORG",
    seat_errors.InvalidContract: "INVALID_CONTRACT",
    seat_errors.InvalidTopUp: "INVALID_ADD_SEATS",
    seat_errors.InvalidSeatPolicy: "INVALID_SEAT_POLICY",
    seat_errors.SeatRequestNotFound: "SEAT_REQUEST_NOT_FOUND",
    seat_errors.SeatRequestClosed: "SEAT_REQUEST_CLOSED",
    seat_errors.SeatReductionNotAllowed: "SEAT_REDUCTION_NOT_ALLOWED",
    seat_errors.QuoteNotFound: "QUOTE_NOT_FOUND",
    seat_errors.UnknownSeatType: "SEAT_TYPE_NOT_FOUND",
    seat_errors.ReassignmentRefused: "REASSIGNMENT_REFUSED",
}
_REASONS: dict[Enum, str] = {
    seat_errors.QuoteProblem.USED: "QUOTE_USED",
    seat_errors.QuoteProblem.EXPIRED: "QUOTE_EXPIRED",
    seat_errors.QuoteProblem.STALE: "QUOTE_STALE",
    seat_errors.KeyConflict.REUSED: "IDEMPOTENCY_KEY_REUSED",
    seat_errors.KeyConflict.IN_FLIGHT: "IDEMPOTENCY_KEY_IN_FLIGHT",
}


def _code(exc: seat_errors.SeatsError) -> str:
    """A refusal with several causes has the code of its reason."""
    if isinstance(exc, (seat_errors.QuoteUnusable, seat_errors.IdempotencyConflict)):
        return _REASONS[exc.reason]
    return next((code for kind, code in _CODES.items() if isinstance(exc, kind)), "REFUSED")


def from_domain(exc: seat_errors.SeatsError, **extra: Any) -> Problem:
    return Problem(http_status(exc), _code(exc), str(exc), **extra)
