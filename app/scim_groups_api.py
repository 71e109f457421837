"""The /Groups endpoints (RFC 7644 §3) on the SCIM blueprint, so they share its bearer-token
authentication, error documents and If-Match handling with /Users. Each handler is one
visible transaction; members are read in it only when the response shows them, and the
response is built after the commit succeeded."""
from __future__ import annotations

from flask import Response, g, request
from sqlalchemy.orm import Session

from app.context import current_db
from app.scim_api import bp
from app.scim_endpoints import asks_for_attributes, list_page, read_one, write_one
from app.scim_http import request_body, write_context
from scim import groups
from scim.directory import WriteContext
from scim.listing import GROUPS, search_parameters
from scim.resources import etag
from scim.schemas import GROUP_TYPE
from scim.tables import GroupRow


@bp.post("/Groups")
def create_group() -> Response:
    body = request_body()
    return write_one(GROUP_TYPE, lambda session, ctx: groups.create_group(session, body, ctx),
                     201)


@bp.get("/Groups/<group_id>")
def get_group(group_id: str) -> Response:
    return read_one(GROUP_TYPE, lambda session: groups.get_group(session, g.org_id, group_id))


@bp.get("/Groups")
def list_groups() -> Response:
    return list_page([GROUPS], request.args)


@bp.post("/Groups/.search")
def search_groups() -> Response:
    return list_page([GROUPS], search_parameters(request_body()))


@bp.put("/Groups/<group_id>")
def replace_group(group_id: str) -> Response:
    body = request_body()
    return write_one(
        GROUP_TYPE, lambda session, ctx: groups.replace_group(session, group_id, body, ctx)
    )


@bp.patch("/Groups/<group_id>")
def patch_group(group_id: str) -> Response:
    """204 without a body (RFC 7644 §3.5.2 allows it, Entra and Okta expect it): sending a
    large group back after every membership delta would cost more than the change. A request
    with `attributes` (or `excludedAttributes`) gets the 200 and resource §3.5.2 requires."""
    body = request_body()

    def patch(session: Session, ctx: WriteContext) -> GroupRow:
        return groups.patch_group(session, group_id, body, ctx)

    if asks_for_attributes():
        return write_one(GROUP_TYPE, patch)
    with current_db().transaction() as session:
        row = patch(session, write_context())
    return Response(status=204, headers={"ETag": etag(row.version)})


@bp.delete("/Groups/<group_id>")
def delete_group(group_id: str) -> Response:
    with current_db().transaction() as session:
        groups.delete_group(session, group_id, write_context())
    return Response(status=204)
