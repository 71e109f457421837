"""The SCIM 2.0 HTTP surface under /scim/v2: the /Users endpoints, and searches with POST
/.search at the root and on /Users (RFC 7644 §3.4.3). Each handler is one visible
transaction; the response is built only after the commit succeeded."""
from __future__ import annotations

from flask import Blueprint, Response, g, request

from app.auth import authenticate_scim_client
from app.scim_endpoints import list_page, read_one, write_one
from app.scim_http import check_url, db, request_body, write_context
from scim import directory
from scim.listing import EVERYTHING, USERS, search_parameters
from scim.schemas import USER_TYPE

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
bp.before_request(authenticate_scim_client)
bp.before_request(check_url)


@bp.post("/.search")
def search_everything() -> Response:
    """Users and groups in one list, types mixed in the order sortBy asks for (meta.created
    without one); totalResults counts both."""
    return list_page(EVERYTHING, search_parameters(request_body()))


@bp.post("/Users")
def create_user() -> Response:
    body = request_body()
    return write_one(USER_TYPE, lambda session, ctx: directory.create_user(session, body, ctx),
                     201)


@bp.get("/Users/<user_id>")
def get_user(user_id: str) -> Response:
    return read_one(USER_TYPE, lambda session: directory.get_user(session, g.org_id, user_id))


@bp.get("/Users")
def list_users() -> Response:
    return list_page([USERS], request.args)


@bp.post("/Users/.search")
def search_users() -> Response:
    return list_page([USERS], search_parameters(request_body()))


@bp.put("/Users/<user_id>")
def replace_user(user_id: str) -> Response:
    body = request_body()
    return write_one(
        USER_TYPE, lambda session, ctx: directory.replace_user(session, user_id, body, ctx)
    )


@bp.patch("/Users/<user_id>")
def patch_user(user_id: str) -> Response:
    body = request_body()
    return write_one(
        USER_TYPE, lambda session, ctx: directory.patch_user(session, user_id, body, ctx)
    )


@bp.delete("/Users/<user_id>")
def delete_user(user_id: str) -> Response:
    with db().transaction() as session:
        directory.delete_user(session, user_id, write_context())
    return Response(status=204)
