"""Confirming a seat quote from the console, at most once per idempotency key. The Review
page embeds a fresh key; a double click, a reload or a retried POST carries the same key and
gets the stored outcome instead of a second purchase. A purchase is stored as the purchase
document (app.documents) the page prints; a refusal as its sentence and whether the quote
had become unusable, which is all the page says about it."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from app.db import Database
from app.purchases import Buyer, buy_once
from seats import idempotency
from seats.errors import QuoteUnusable, SeatsError
from seats.models import IdempotencyKey, Quote

UPGRADE_PATH = "/console/billing/seats/upgrade"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
"""Console keys are `new_key()` values; the pattern keeps other keys of the org (API
clients', sign-in links') out of the console's purchase pages."""


def new_key() -> str:
    return secrets.token_urlsafe(24)


class _Answers:
    """The Review page prices a fresh quote itself when asked again, so a refusal needs none."""

    offers_fresh_quote = False

    def refused(self, refusal: SeatsError,
                fresh_quote: Quote | None) -> idempotency.StoredResponse:
        body = {"detail": str(refusal), "quote_unusable": isinstance(refusal, QuoteUnusable)}
        return idempotency.StoredResponse(409, body)


def buy(buyer: Buyer, key: str, quote_id: str) -> None:
    """A replay returns at once (its outcome is already stored). IdempotencyConflict means
    the first use of the key still runs, or the key came with another quote."""
    fingerprint = idempotency.fingerprint("POST", UPGRADE_PATH, {"quote_id": quote_id})
    buy_once(buyer, key, quote_id, fingerprint, _Answers())


@dataclass(frozen=True)
class Outcome:
    """What became of a key: `done` False while its purchase still runs."""

    done: bool
    status: int | None = None
    body: dict[str, Any] | None = None

    @property
    def bought(self) -> bool:
        return self.status == 201


def outcome(database: Database, org_id: str, key: str) -> Outcome | None:
    """None when the org never used this key (seats.idempotency has no read-only lookup)."""
    with database.transaction(write=False) as session:
        record = session.get(IdempotencyKey, (org_id, key))
        if record is None:
            return None
        return Outcome(record.state == "done", record.response_status, record.response_body)
