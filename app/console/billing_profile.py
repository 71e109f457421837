"""The org's billing profile in the console: every role sees who invoices are addressed to;
the primary owner edits it (seats.billing_profiles, as the admin API does)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.console.forms import BillingProfileForm, submitted
from app.context import current_db
from app.roles import OWNER, require_role
from seats.billing_profiles import BillingDetails, billing_profile, save_billing_profile
from seats.clock import utcnow


def _page(form: BillingProfileForm, status: int = 200) -> tuple[str, int]:
    return render_template("console/billing_profile.html", form=form), status


def profile() -> tuple[str, int]:
    with current_db().transaction(write=False) as session:
        stored = billing_profile(session, g.org_id)
    return _page(BillingProfileForm(obj=stored))


@require_role(OWNER)
def save_profile() -> Response | tuple[str, int]:
    form = BillingProfileForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    details = BillingDetails(
        legal_name=submitted(form.legal_name.data).strip(),
        billing_email=submitted(form.billing_email.data).strip(),
        address=(form.address.data or "").strip(), tax_id=(form.tax_id.data or "").strip())
    if not details.legal_name:
        form.legal_name.errors = ["Enter the organisation's legal name."]
        return _page(form, 400)
    with current_db().transaction() as session:
        save_billing_profile(session, g.org_id, details, actor=g.actor, now=utcnow())
    flash("The billing details were saved; invoices show them from now on.", "success")
    return redirect(url_for("console.billing_profile"), 303)
