"""Confirming a seat quote at most once per idempotency key, for the admin API and the
console alike: the key is claimed in a short transaction of its own; the purchase and its
stored outcome commit together; a refusal is stored after the refused transaction rolled
back, with a fresh quote when the old one became unusable, in one more transaction; anything
unexpected frees the key so the client may retry. A purchase is stored as the purchase
document both front ends show (app.documents); each says in `Answers` how it words a refusal,
so this module knows neither."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.db import Database
from app.documents import PurchaseSchema
from scim import seat_choice
from seats import commerce, idempotency
from seats.clock import utcnow
from seats.errors import QuoteUnusable, SeatsError
from seats.models import Quote


class Answers(Protocol):
    """How a front end records a refusal, for a replay to return exactly that."""

    offers_fresh_quote: bool
    """Whether a refusal of an unusable quote comes with a fresh quote for the same seats."""

    def refused(self, refusal: SeatsError,
                fresh_quote: Quote | None) -> idempotency.StoredResponse: ...


@dataclass(frozen=True)
class Buyer:
    database: Database
    org_id: str
    actor: str


@dataclass(frozen=True)
class Outcome:
    response: idempotency.StoredResponse
    replayed: bool


def buy_once(buyer: Buyer, key: str, quote_id: str, fingerprint: str,
             answers: Answers) -> Outcome:
    """Raises IdempotencyConflict while the key's first use still runs, or when the key came
    with another request."""
    with buyer.database.transaction() as session:
        stored = idempotency.claim(session, buyer.org_id, key, fingerprint, utcnow())
    if stored is not None:
        return Outcome(stored, replayed=True)
    return Outcome(_confirm(buyer, key, quote_id, answers), replayed=False)


def _confirm(buyer: Buyer, key: str, quote_id: str,
             answers: Answers) -> idempotency.StoredResponse:
    try:
        with buyer.database.transaction() as session:
            purchase = commerce.confirm_top_up(session, buyer.org_id, quote_id,
                                               actor=buyer.actor, now=utcnow())
            seat_choice.settle_waiting(session, buyer.org_id, actor=buyer.actor, now=utcnow())
            stored = idempotency.StoredResponse(201, PurchaseSchema().dump(purchase))
            idempotency.finish(session, buyer.org_id, key, stored, utcnow())
        return stored
    except SeatsError as exc:
        return _store_refusal(buyer, key, quote_id, exc, answers)
    except BaseException:
        with buyer.database.transaction() as session:
            idempotency.release(session, buyer.org_id, key)
        raise


def _store_refusal(buyer: Buyer, key: str, quote_id: str, refusal: SeatsError,
                   answers: Answers) -> idempotency.StoredResponse:
    """One transaction: the fresh quote (stale or expired quotes are answered with one for
    the same seats of the same types) and the stored refusal that shows it."""
    with buyer.database.transaction() as session:
        fresh = None
        if answers.offers_fresh_quote and isinstance(refusal, QuoteUnusable):
            asked = commerce.quote_request(session, buyer.org_id, quote_id)
            fresh = commerce.preview_lines(session, buyer.org_id, asked,
                                           actor=buyer.actor, now=utcnow())
        stored = answers.refused(refusal, fresh)
        idempotency.finish(session, buyer.org_id, key, stored, utcnow())
    return stored
