"""The /Groups endpoints (RFC 7644 §3), on the same blueprint as /Users so they share its
bearer-token authentication, error documents and If-Match handling. Each handler is one
visible transaction; members are read in it only when the response shows them, and the
response is built after the commit succeeded."""
from __future__ import annotations

from flask import Response, g

from app.scim_api.handlers import (
    asks_for_attributes,
    read_links,
    read_response,
    requested_view,
    resource_response,
    unchanged,
)
from app.scim_api.request import request_body, request_transaction, write_context
from scim import groups
from scim.resources import etag
from scim.schemas import GROUP_TYPE


def create_group() -> Response:
    body = request_body()
    view = requested_view(GROUP_TYPE)
    with request_transaction() as session:
        row = groups.create_group(session, body, write_context())
        found = read_links(session, [row], view)
    return resource_response(row, found, view, 201)


def get_group(group_id: str) -> Response:
    view = requested_view(GROUP_TYPE)
    with request_transaction() as session:
        row = groups.read_group(session, g.org_id, group_id)
        found = None if unchanged(row) else read_links(session, [row], view)
    return read_response(row, found, view)


def replace_group(group_id: str) -> Response:
    body = request_body()
    view = requested_view(GROUP_TYPE)
    with request_transaction() as session:
        row = groups.replace_group(session, group_id, body, write_context())
        found = read_links(session, [row], view)
    return resource_response(row, found, view)


def patch_group(group_id: str) -> Response:
    """204 without a body (RFC 7644 §3.5.2 allows it, Entra and Okta expect it): sending a
    large group back after every membership delta would cost more than the change. A request
    with `attributes` (or `excludedAttributes`) gets the 200 and resource §3.5.2 requires."""
    body = request_body()
    view = requested_view(GROUP_TYPE) if asks_for_attributes() else None
    with request_transaction() as session:
        row = groups.patch_group(session, group_id, body, write_context())
        found = read_links(session, [row], view) if view is not None else {}
    if view is None:
        return Response(status=204, headers={"ETag": etag(row.version)})
    return resource_response(row, found, view)


def delete_group(group_id: str) -> Response:
    with request_transaction() as session:
        groups.delete_group(session, group_id, write_context())
    return Response(status=204)
