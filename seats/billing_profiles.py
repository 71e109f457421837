"""An org's billing profile: the legal name, address, tax id and e-mail its invoices are
addressed to. Kept by the primary owner; every change is audited, naming the fields that
changed, because finance teams ask who changed the name on their invoices and when."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy.orm import Session

from seats import audit
from seats.models import BillingProfile


@dataclass(frozen=True)
class BillingDetails:
    legal_name: str
    billing_email: str
    address: str = ""
    tax_id: str = ""


def billing_profile(session: Session, org_id: str) -> BillingProfile | None:
    return session.get(BillingProfile, org_id)


def save_billing_profile(session: Session, org_id: str, details: BillingDetails, *,
                         actor: str, now: datetime) -> BillingProfile:
    """Creates or replaces the profile; a save that changes nothing writes no audit entry."""
    row = session.get(BillingProfile, org_id)
    if row is None:
        row = BillingProfile(org_id=org_id, legal_name="", address="", tax_id="",
                             billing_email="", updated_at=now)
        session.add(row)
    changed = [f.name for f in fields(details) if getattr(row, f.name) != getattr(details, f.name)]
    if not changed:
        return row
    for name in changed:
        setattr(row, name, getattr(details, name))
    row.updated_at = now
    session.flush()
    audit.record_change(session, org_id, action="billing-profile.changed", actor=actor,
                        subject=None, now=now, detail="changed: " + ", ".join(changed))
    return row
