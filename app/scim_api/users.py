"""The /Users endpoints (RFC 7644 §3). Each handler is one visible transaction; the response
is built only after the commit succeeded."""
from __future__ import annotations

from flask import Response, g

from app.scim_api.handlers import (
    read_links,
    read_response,
    requested_view,
    resource_response,
    unchanged,
)
from app.scim_api.request import request_body, request_transaction, write_context
from scim import users
from scim.schemas import USER_TYPE


def create_user() -> Response:
    body = request_body()
    view = requested_view(USER_TYPE)
    with request_transaction() as session:
        row = users.create_user(session, body, write_context())
    # A user just created is in no group: `groups` is read-only on a User (RFC 7643 §4.1.2)
    # and changes only through the Groups' members, so there is nothing to read.
    return resource_response(row, {}, view, 201)


def get_user(user_id: str) -> Response:
    view = requested_view(USER_TYPE)
    with request_transaction() as session:
        row = users.read_user(session, g.org_id, user_id)
        found = None if unchanged(row) else read_links(session, [row], view)
    return read_response(row, found, view)


def replace_user(user_id: str) -> Response:
    body = request_body()
    view = requested_view(USER_TYPE)
    with request_transaction() as session:
        row = users.replace_user(session, user_id, body, write_context())
        found = read_links(session, [row], view)
    return resource_response(row, found, view)


def patch_user(user_id: str) -> Response:
    body = request_body()
    view = requested_view(USER_TYPE)
    with request_transaction() as session:
        row = users.patch_user(session, user_id, body, write_context())
        found = read_links(session, [row], view)
    return resource_response(row, found, view)


def delete_user(user_id: str) -> Response:
    with request_transaction() as session:
        users.delete_user(session, user_id, write_context())
    return Response(status=204)
