"""What the caller's org does when an activation finds its pool full: read by every role
(an admin wondering why a user was refused, or why an invoice appeared, looks here), chosen
by the primary owner, who answers for what the org is billed. Changes are audited as
`seat-policy.changed`, before → after, like the alert settings."""
from __future__ import annotations

from typing import Any

from flask import Response, g
from marshmallow import Schema, fields, validate

from app.admin.blueprint import json_body, json_response
from app.admin.schemas import load
from app.context import current_db
from app.roles import OWNER, require_role
from seats.clock import utcnow
from seats.models import POOL_FULL_POLICIES
from seats.pool_full import (
    MAX_AUTO_SEATS,
    PoolFullPolicy,
    auto_seats_this_term,
    policy_of,
    save_policy,
)

INVALID = "INVALID_SEAT_POLICY"


class SeatPolicyUpdateSchema(Schema):
    policy = fields.String(
        required=True, validate=validate.OneOf(POOL_FULL_POLICIES),
        metadata={"description": "refuse (the default), auto_top_up or request."},
    )
    max_auto_seats = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_AUTO_SEATS),
        metadata={"description": "auto_top_up: seats bought automatically per term, at least 1."},
    )


class SeatPolicySchema(Schema):
    policy = fields.String()
    max_auto_seats = fields.Integer()
    auto_seats_this_term = fields.Integer(
        metadata={"description": "Seats bought automatically since the term started."})


def _view(policy: PoolFullPolicy, bought: int) -> dict[str, Any]:
    return SeatPolicySchema().dump({"policy": policy.policy,
                                    "max_auto_seats": policy.max_auto_seats,
                                    "auto_seats_this_term": bought})


def get_seat_policy() -> Response:
    """No row reads as `refuse`, today's behaviour.
    ---
    get:
      summary: What an activation does when no seat is free
      tags: [Seats]
      responses:
        200:
          description: The policy, its cap and the seats it has bought this term.
          content:
            application/json:
              schema: SeatPolicySchema
    """
    with current_db().transaction(write=False) as session:
        return json_response(_view(policy_of(session, g.org_id),
                                   auto_seats_this_term(session, g.org_id)))


@require_role(OWNER)
def put_seat_policy() -> Response:
    """Replaces policy and cap together; a refused request changes nothing.
    ---
    put:
      summary: Choose what an activation does when no seat is free
      tags: [Seats]
      requestBody:
        required: true
        content:
          application/json:
            schema: SeatPolicyUpdateSchema
      responses:
        200:
          description: The policy as stored.
          content:
            application/json:
              schema: SeatPolicySchema
        400: InvalidInput
        403: Forbidden
    """
    wanted = PoolFullPolicy(**load(SeatPolicyUpdateSchema(), json_body(), INVALID))
    with current_db().transaction() as session:
        policy = save_policy(session, g.org_id, wanted, actor=g.actor, now=utcnow())
        return json_response(_view(policy, auto_seats_this_term(session, g.org_id)))
