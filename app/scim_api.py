"""The SCIM 2.0 HTTP surface under /scim/v2. Each handler is one visible transaction; the
response is built only after the commit succeeded."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, g, request

from app.auth import authenticate_scim_client
from app.responses import scim_json
from app.scim_http import app_settings, db, request_body, write_context
from scim import directory
from scim.listing import list_response, list_users, parse_page
from scim.memberships import groups_of
from scim.resources import Reference, etag, render_user

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
bp.before_request(authenticate_scim_client)

def _groups(session: Any, row: Any) -> Sequence[Reference]:
    """A user's groups are computed, never stored: read in the request's transaction."""
    return groups_of(session, g.org_id, [row.id]).get(row.id, [])


def _user_response(row: Any, status: int = 200, groups: Sequence[Reference] = ()) -> Response:
    resource = render_user(row, app_settings().scim_base_url, groups)
    headers = {"ETag": etag(row.version)}
    if status == 201:
        headers["Location"] = resource["meta"]["location"]
    return scim_json(resource, status, headers)


@bp.post("/Users")
def create_user() -> Response:
    body = request_body()
    with db().transaction() as session:
        row = directory.create_user(session, body, write_context())
    return _user_response(row, 201)


@bp.get("/Users/<user_id>")
def get_user(user_id: str) -> Response:
    with db().transaction(write=False) as session:
        row = directory.get_user(session, g.org_id, user_id)
        groups = _groups(session, row)
    if request.if_none_match.contains_weak(str(row.version)):
        return Response(status=304, headers={"ETag": etag(row.version)})
    return _user_response(row, groups=groups)


@bp.get("/Users")
def list_all_users() -> Response:
    settings = app_settings()
    page = parse_page(
        request.args.get("startIndex"),
        request.args.get("count"),
        default=settings.default_count,
        maximum=settings.max_results,
    )
    with db().transaction(write=False) as session:
        result = list_users(session, g.org_id, request.args.get("filter"), page)
        groups = groups_of(session, g.org_id, [row.id for row in result.rows])
    base = settings.scim_base_url
    resources = [render_user(row, base, groups.get(row.id, [])) for row in result.rows]
    return scim_json(list_response(result, resources))


@bp.put("/Users/<user_id>")
def replace_user(user_id: str) -> Response:
    body = request_body()
    with db().transaction() as session:
        row = directory.replace_user(session, user_id, body, write_context())
        groups = _groups(session, row)
    return _user_response(row, groups=groups)


@bp.patch("/Users/<user_id>")
def patch_user(user_id: str) -> Response:
    body = request_body()
    with db().transaction() as session:
        row = directory.patch_user(session, user_id, body, write_context())
        groups = _groups(session, row)
    return _user_response(row, groups=groups)


@bp.delete("/Users/<user_id>")
def delete_user(user_id: str) -> Response:
    with db().transaction() as session:
        directory.delete_user(session, user_id, write_context())
    return Response(status=204)
