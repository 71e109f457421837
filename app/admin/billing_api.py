"""The org's billing profile: read by every role (it is on every invoice), replaced by the
primary owner, who answers for what the org is billed."""
from __future__ import annotations

from flask import Response, g

from app.admin.blueprint import json_body, json_response
from app.admin.problems import Problem
from app.admin.schemas import BillingProfileSchema, load
from app.context import current_db
from app.roles import OWNER, require_role
from seats.billing_profiles import BillingDetails, billing_profile, save_billing_profile
from seats.clock import utcnow


def get_billing_profile() -> Response:
    """404 until the primary owner sets one; invoices then show the org's slug.
    ---
    get:
      summary: The org's billing profile
      tags: [Invoices]
      responses:
        200:
          description: Legal name, address, tax id and billing e-mail.
          content:
            application/json:
              schema: BillingProfileSchema
        404: NotFound
    """
    with current_db().transaction(write=False) as session:
        profile = billing_profile(session, g.org_id)
        if profile is None:
            raise Problem(404, "BILLING_PROFILE_NOT_SET", "this organisation has no billing profile yet")
        return json_response(BillingProfileSchema().dump(profile))


@require_role(OWNER)
def put_billing_profile() -> Response:
    """Every invoice shows the profile as it is when read, so a corrected address is on the
    next download of an old invoice too; the change is audited.
    ---
    put:
      summary: Set the org's billing profile
      tags: [Invoices]
      requestBody:
        required: true
        content:
          application/json:
            schema: BillingProfileSchema
      responses:
        200:
          description: The profile as stored.
          content:
            application/json:
              schema: BillingProfileSchema
        400: InvalidInput
        403: Forbidden
    """
    details = BillingDetails(**load(BillingProfileSchema(), json_body(), "INVALID_BODY"))
    with current_db().transaction() as session:
        profile = save_billing_profile(session, g.org_id, details, actor=g.actor, now=utcnow())
        return json_response(BillingProfileSchema().dump(profile))
