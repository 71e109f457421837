"""A seat refusal under /scim/v2: audited in a transaction of its own once the refused one
has rolled back (spec edge case 1: "no user; audit entry"), and worded as SCIM says."""
from __future__ import annotations

import logging

from flask import g

from app.context import current_db
from scim.errors import ScimError, from_domain
from seats import seating
from seats.clock import utcnow
from seats.errors import SeatsError

log = logging.getLogger(__name__)


def record_seat_refusal(exc: SeatsError) -> ScimError:
    """Audits a refusal in a transaction of its own, once the refused one has rolled back,
    and says how it reads in SCIM. Public for Bulk, where a refused operation is one result
    among others rather than the response."""
    error = from_domain(exc)
    org_id = g.get("org_id")
    if org_id is not None:
        with current_db().transaction() as session:
            seating.record_refusal(
                session,
                org_id,
                actor=g.get("actor", "unknown"),
                subject=getattr(exc, "subject", None),
                subject_name=getattr(exc, "subject_name", None),
                reason=error.detail,
                now=utcnow(),
            )
    log.info("seat refusal org=%s detail=%s", org_id, error.detail)
    return error
