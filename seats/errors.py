"""Domain refusals, named as facts. The protocol layers decide how each one reads."""
from __future__ import annotations


class SeatsError(Exception):
    """Base of every refusal the seat domain can make."""


class NoSeatAvailable(SeatsError):
    def __init__(self, total: int, assigned: int, subject: str | None = None) -> None:
        self.total = total
        self.assigned = assigned
        self.subject = subject
        super().__init__(f"all {assigned} of {total} seats are assigned")


class NoActiveSubscription(SeatsError):
    def __init__(self, term_end: object, subject: str | None = None) -> None:
        self.term_end = term_end
        self.subject = subject
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
