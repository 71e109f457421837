"""SCIM bearer tokens of the caller's org: issued, listed and revoked by its admins."""
from __future__ import annotations

from flask import Response, g

from app.admin.blueprint import json_body, json_response
from app.admin.problems import Problem
from app.admin.schemas import (
    TokenCreatedSchema,
    TokenCreateSchema,
    TokenListSchema,
    load,
)
from app.context import current_db
from app.roles import MANAGERS, require_role
from seats import credentials
from seats.clock import utcnow


@require_role(*MANAGERS)
def create_scim_token() -> Response:
    """Only the secret's hash is kept, so the secret is in this response and nowhere else.
    ---
    post:
      summary: Issue a SCIM bearer token
      tags: [SCIM tokens]
      requestBody:
        required: true
        content:
          application/json:
            schema: TokenCreateSchema
      responses:
        201:
          description: The token, with its secret shown this once.
          content:
            application/json:
              schema: TokenCreatedSchema
          links:
            RevokeTheToken:
              operationId: revoke_scim_token
              parameters: {token_id: $response.body#/id}
        400: InvalidInput
        403: Forbidden
    """
    name = load(TokenCreateSchema(), json_body(), "INVALID_BODY")["name"]
    with current_db().transaction() as session:
        token, secret = credentials.issue_token(session, g.org_id, name, utcnow(), g.actor)
    created = {"id": token.id, "name": token.name, "created_at": token.created_at, "token": secret}
    response = json_response(TokenCreatedSchema().dump(created), 201)
    response.headers["Cache-Control"] = "no-store"
    return response


def list_scim_tokens() -> Response:
    """Revoked tokens stay listed, so admins can see what was cut off and when.
    ---
    get:
      summary: List the org's SCIM tokens (never their secrets)
      tags: [SCIM tokens]
      responses:
        200:
          description: All tokens, oldest first.
          content:
            application/json:
              schema: TokenListSchema
    """
    with current_db().transaction(write=False) as session:
        tokens = credentials.list_tokens(session, g.org_id)
    return json_response(TokenListSchema().dump({"tokens": tokens}))


@require_role(*MANAGERS)
def revoke_scim_token(token_id: str) -> Response:
    """Takes effect on the next SCIM request: every request looks its token up afresh.
    Revoking twice is a success that keeps the first revocation time.
    ---
    delete:
      summary: Revoke a SCIM token
      tags: [SCIM tokens]
      parameters:
        - in: path
          name: token_id
          required: true
          schema: {type: string}
      responses:
        204:
          description: Revoked.
        403: Forbidden
        404: NotFound
    """
    with current_db().transaction() as session:
        found = credentials.revoke_token(session, g.org_id, token_id, utcnow(), g.actor)
    if not found:
        raise Problem(404, "TOKEN_NOT_FOUND", f"this organisation has no SCIM token {token_id!r}")
    return Response(status=204)
