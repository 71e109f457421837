"""Confirming a seat quote at most once per idempotency key, for the admin API and the
console alike: the key is claimed in a short transaction of its own; the purchase and its
stored outcome commit together; a refusal is stored after the refused transaction rolled
back; anything unexpected frees the key so the client may retry."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.admin.problems import from_domain
from app.admin.schemas import PurchaseSchema
from app.db import Database
from seats import commerce, idempotency
from seats.clock import utcnow
from seats.errors import SeatsError

RefusalExtra = Callable[[SeatsError], dict[str, Any]]
"""What a front end adds to a stored refusal (the admin API adds a fresh quote)."""


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
             refusal_extra: RefusalExtra | None = None) -> Outcome:
    """Raises IdempotencyConflict while the key's first use still runs, or when the key came
    with another request."""
    with buyer.database.transaction() as session:
        stored = idempotency.claim(session, buyer.org_id, key, fingerprint, utcnow())
    if stored is not None:
        return Outcome(stored, replayed=True)
    return Outcome(_confirm(buyer, key, quote_id, refusal_extra), replayed=False)


def _confirm(buyer: Buyer, key: str, quote_id: str,
             refusal_extra: RefusalExtra | None) -> idempotency.StoredResponse:
    try:
        with buyer.database.transaction() as session:
            purchase = commerce.confirm_top_up(session, buyer.org_id, quote_id,
                                               actor=buyer.actor, now=utcnow())
            stored = idempotency.StoredResponse(201, PurchaseSchema().dump(purchase))
            idempotency.finish(session, buyer.org_id, key, stored, utcnow())
        return stored
    except SeatsError as exc:
        problem = from_domain(exc, **(refusal_extra(exc) if refusal_extra else {}))
        stored = idempotency.StoredResponse(problem.status, problem.to_dict())
        with buyer.database.transaction() as session:
            idempotency.finish(session, buyer.org_id, key, stored, utcnow())
        return stored
    except BaseException:
        with buyer.database.transaction() as session:
            idempotency.release(session, buyer.org_id, key)
        raise
