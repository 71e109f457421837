"""Domain refusals, named as facts. The protocol layers decide how each one reads: where a
refusal has several causes, a reason enum names them, and each front end maps it to its own
code and words."""
from __future__ import annotations

from enum import Enum


class SeatsError(Exception):
    """Base of every refusal the seat domain can make."""


class NoSeatAvailable(SeatsError):
    """`seat_type` names the full type when the org sells several (None: its only one);
    `subject_name` is the refused user's name, kept on the audit entry."""

    def __init__(self, total: int, assigned: int, subject: str | None = None,
                 seat_type: str | None = None, subject_name: str | None = None) -> None:
        self.total = total
        self.assigned = assigned
        self.subject = subject
        self.seat_type = seat_type
        self.subject_name = subject_name
        kind = f" {seat_type}" if seat_type else ""
        super().__init__(f"all {assigned} of {total}{kind} seats are assigned")


class NoActiveSubscription(SeatsError):
    def __init__(self, term_end: object, subject: str | None = None,
                 subject_name: str | None = None) -> None:
        self.term_end = term_end
        self.subject = subject
        self.subject_name = subject_name
        super().__init__(f"the contract term ended on {term_end} and does not renew")


class UnknownOrg(SeatsError):
    def __init__(self, slug: str) -> None:
        self.slug = slug
        super().__init__(f"no organisation with slug {slug!r}")


class OrgAlreadyExists(SeatsError):
    def __init__(self, slug: str) -> None:
        self.slug = slug
        super().__init__(f"an organisation with slug {slug!r} already exists")


class InvalidContract(SeatsError):
    """A contract whose terms make no sense (negative seats or price, unknown currency...)."""


class InvalidSeatType(SeatsError):
    """A seat type that cannot be added as asked (bad key, duplicate, negative seats...)."""


class UnknownSeatType(SeatsError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"no seat type {key!r} in this organisation")


class InvalidSeatPolicy(SeatsError):
    """A pool-full policy that is not one the product knows, or a cap out of range."""


class InvalidTopUp(SeatsError):
    """`add_seats` is not a whole number from 1 to the per-purchase maximum."""


class SeatReductionNotAllowed(SeatsError):
    def __init__(self) -> None:
        super().__init__(
            "seats cannot be removed during a term; reassign them to other users instead"
        )


class QuoteNotFound(SeatsError):
    def __init__(self, quote_id: str) -> None:
        super().__init__(f"no quote {quote_id!r} for this organisation")


class QuoteProblem(Enum):
    """Why a quote can no longer be confirmed."""

    USED = "used"
    EXPIRED = "expired"
    STALE = "stale"  # the pool's total changed since the quote was priced


class QuoteUnusable(SeatsError):
    """A quote that can no longer be confirmed; a fresh one for the same seats may be."""

    def __init__(self, reason: QuoteProblem, detail: str) -> None:
        self.reason = reason
        super().__init__(detail)


class SeatRequestNotFound(SeatsError):
    def __init__(self, request_id: str) -> None:
        super().__init__(f"no seat request {request_id!r} for this organisation")


class SeatRequestClosed(SeatsError):
    """The request was approved, denied or has expired: nothing more can be decided on it."""

    def __init__(self, status: str) -> None:
        self.status = status
        super().__init__(f"this seat request is {status}; only open requests can be decided")


class ReassignmentRefused(SeatsError):
    """The seat cannot move between these two users (wrong states, same user, unknown)."""


class KeyConflict(Enum):
    """Why an idempotency key cannot be claimed."""

    REUSED = "reused"  # it came with a different request
    IN_FLIGHT = "in_flight"  # its first use still runs


class IdempotencyConflict(SeatsError):
    """The Idempotency-Key was used for a different request, or that request still runs."""

    def __init__(self, reason: KeyConflict, detail: str) -> None:
        self.reason = reason
        super().__init__(detail)
