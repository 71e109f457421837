"""The /Groups endpoints (RFC 7644 §3) on the SCIM blueprint, so they share its bearer-token
authentication, error documents and If-Match handling with /Users. Each handler is one
visible transaction; members are read in it only when the response shows them, and the
response is built after the commit succeeded."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response, g, request
from sqlalchemy.orm import Session

from app.responses import scim_json
from app.scim_api import bp
from app.scim_http import app_settings, db, request_body, write_context
from scim import groups, memberships
from scim.listing import list_groups, list_response, parse_page
from scim.resources import Projection, Reference, etag, projection, render_group
from scim.schemas import GROUP
from scim.tables import GroupRow

Members = Mapping[str, Sequence[Reference]]


def _shown() -> Projection:
    args = request.args
    return projection(GROUP, args.get("attributes"), args.get("excludedAttributes"))


def _members(session: Session, rows: Sequence[GroupRow], shown: Projection) -> Members:
    """One query for all groups of the response, and none when members are not shown."""
    if not shown.wants("members"):
        return {}
    return memberships.listed_members(session, g.org_id, [row.id for row in rows])


def _resource(row: GroupRow, members: Members, shown: Projection) -> dict[str, Any]:
    return shown.apply(render_group(row, app_settings().scim_base_url, members.get(row.id, ())))


def _group_response(
    row: GroupRow, members: Members, shown: Projection, status: int = 200
) -> Response:
    headers = {"ETag": etag(row.version)}
    if status == 201:
        headers["Location"] = render_group(row, app_settings().scim_base_url)["meta"]["location"]
    return scim_json(_resource(row, members, shown), status, headers)


@bp.post("/Groups")
def create_group() -> Response:
    body, shown = request_body(), _shown()
    with db().transaction() as session:
        row = groups.create_group(session, body, write_context())
        members = _members(session, [row], shown)
    return _group_response(row, members, shown, 201)


@bp.get("/Groups/<group_id>")
def get_group(group_id: str) -> Response:
    shown = _shown()
    with db().transaction(write=False) as session:
        row = groups.get_group(session, g.org_id, group_id)
        unchanged = request.if_none_match.contains_weak(str(row.version))
        members = {} if unchanged else _members(session, [row], shown)
    if unchanged:
        return Response(status=304, headers={"ETag": etag(row.version)})
    return _group_response(row, members, shown)


@bp.get("/Groups")
def list_all_groups() -> Response:
    settings, shown, args = app_settings(), _shown(), request.args
    page = parse_page(args.get("startIndex"), args.get("count"),
                      default=settings.default_count, maximum=settings.max_results)
    with db().transaction(write=False) as session:
        result = list_groups(session, g.org_id, args.get("filter"), page)
        members = _members(session, result.rows, shown)
    return scim_json(list_response(result, [_resource(r, members, shown) for r in result.rows]))


@bp.put("/Groups/<group_id>")
def replace_group(group_id: str) -> Response:
    body, shown = request_body(), _shown()
    with db().transaction() as session:
        row = groups.replace_group(session, group_id, body, write_context())
        members = _members(session, [row], shown)
    return _group_response(row, members, shown)


@bp.patch("/Groups/<group_id>")
def patch_group(group_id: str) -> Response:
    """204 without a body (RFC 7644 §3.5.2 allows it, Entra and Okta expect it): sending a
    large group back after every membership delta would cost more than the change."""
    body = request_body()
    with db().transaction() as session:
        row = groups.patch_group(session, group_id, body, write_context())
    return Response(status=204, headers={"ETag": etag(row.version)})


@bp.delete("/Groups/<group_id>")
def delete_group(group_id: str) -> Response:
    with db().transaction() as session:
        groups.delete_group(session, group_id, write_context())
    return Response(status=204)
