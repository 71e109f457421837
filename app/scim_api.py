"""The SCIM 2.0 HTTP surface under /scim/v2. Each handler is one visible transaction; the
response is built only after the commit succeeded."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from app.auth import authenticate_scim_client
from app.responses import scim_json
from app.settings import Settings
from scim import directory
from scim.errors import ScimError, invalid_syntax
from scim.listing import list_response, list_users, parse_page
from scim.memberships import groups_of
from scim.resources import Reference, etag, render_user
from seats.clock import utcnow

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
bp.before_request(authenticate_scim_client)

JSON_MEDIA_TYPES = ("application/json", "application/scim+json")


def _settings() -> Settings:
    return current_app.extensions["settings"]


def _db() -> Any:
    return current_app.extensions["db"]


def _body() -> Any:
    if request.mimetype not in JSON_MEDIA_TYPES:
        raise ScimError(415, "send the body as application/scim+json or application/json")
    body = request.get_json(force=True, silent=True)
    if body is None:
        raise invalid_syntax("the request body is not valid JSON")
    return body


def _if_match() -> frozenset[str] | None:
    """The versions the client accepts; weak and strong tags alike, since meta.version is
    weak (RFC 7644 §3.14). None when there is no precondition or it is `*`."""
    tags = request.if_match
    if not request.headers.get("If-Match") or tags.star_tag:
        return None
    return frozenset(tags.as_set(include_weak=True))


def _ctx() -> directory.WriteContext:
    return directory.WriteContext(org_id=g.org_id, actor=g.actor, now=utcnow(), if_match=_if_match())


def _groups(session: Any, row: Any) -> Sequence[Reference]:
    """A user's groups are computed, never stored: read in the request's transaction."""
    return groups_of(session, g.org_id, [row.id]).get(row.id, [])


def _user_response(row: Any, status: int = 200, groups: Sequence[Reference] = ()) -> Response:
    resource = render_user(row, _settings().scim_base_url, groups)
    headers = {"ETag": etag(row.version)}
    if status == 201:
        headers["Location"] = resource["meta"]["location"]
    return scim_json(resource, status, headers)


@bp.post("/Users")
def create_user() -> Response:
    body = _body()
    with _db().transaction() as session:
        row = directory.create_user(session, body, _ctx())
    return _user_response(row, 201)


@bp.get("/Users/<user_id>")
def get_user(user_id: str) -> Response:
    with _db().transaction(write=False) as session:
        row = directory.get_user(session, g.org_id, user_id)
        groups = _groups(session, row)
    if request.if_none_match.contains_weak(str(row.version)):
        return Response(status=304, headers={"ETag": etag(row.version)})
    return _user_response(row, groups=groups)


@bp.get("/Users")
def list_all_users() -> Response:
    settings = _settings()
    page = parse_page(
        request.args.get("startIndex"),
        request.args.get("count"),
        default=settings.default_count,
        maximum=settings.max_results,
    )
    with _db().transaction(write=False) as session:
        result = list_users(session, g.org_id, request.args.get("filter"), page)
        groups = groups_of(session, g.org_id, [row.id for row in result.rows])
    base = settings.scim_base_url
    resources = [render_user(row, base, groups.get(row.id, [])) for row in result.rows]
    return scim_json(list_response(result, resources))


@bp.put("/Users/<user_id>")
def replace_user(user_id: str) -> Response:
    body = _body()
    with _db().transaction() as session:
        row = directory.replace_user(session, user_id, body, _ctx())
        groups = _groups(session, row)
    return _user_response(row, groups=groups)


@bp.patch("/Users/<user_id>")
def patch_user(user_id: str) -> Response:
    body = _body()
    with _db().transaction() as session:
        row = directory.patch_user(session, user_id, body, _ctx())
        groups = _groups(session, row)
    return _user_response(row, groups=groups)


@bp.delete("/Users/<user_id>")
def delete_user(user_id: str) -> Response:
    with _db().transaction() as session:
        directory.delete_user(session, user_id, _ctx())
    return Response(status=204)
