"""The SCIM 2.0 HTTP surface under /scim/v2: the /Users endpoints, queries at the root (GET,
RFC 7644 §3.4.2.1, and POST /.search) and searches on /Users (RFC 7644 §3.4.3), and the
path leniency every route under /scim/v2 shares. Each handler is one visible transaction;
the response is built only after the commit succeeded."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

from flask import Blueprint, Flask, Response, g, request
from flask.blueprints import BlueprintSetupState

from app.auth import authenticate_scim_client
from app.context import current_db
from app.scim_endpoints import list_page, read_one, write_one
from app.scim_http import check_url, request_body, write_context
from scim import directory
from scim.listing import EVERYTHING, USERS, search_parameters
from scim.schemas import USER_TYPE

PREFIX = "/scim/v2"

bp = Blueprint("scim", __name__, url_prefix=PREFIX)
bp.before_request(authenticate_scim_client)
bp.before_request(check_url)


def canonical_path(path: str, endpoints: Mapping[str, str]) -> str:
    """`path` as the routes spell it, when it is under /scim/v2: no trailing slash, and the
    endpoint segment (`users`, `GROUPS`, `serviceproviderconfig`) in the spelling of
    `endpoints` (lower case → canonical). Microsoft's published SCIM test collection sends
    both; RFC 7644 §3 names the endpoints but nothing is lost by reading them leniently.
    Only the first segment is respelled: later ones are ids and names, which are exact."""
    if path != PREFIX and not path.startswith(f"{PREFIX}/"):
        return path
    rest = path.removeprefix(PREFIX).rstrip("/")
    if not rest:
        return PREFIX
    first, slash, tail = rest.removeprefix("/").partition("/")
    return f"{PREFIX}/{endpoints.get(first.lower(), first)}{slash}{tail}"


class CanonicalPaths:
    """WSGI middleware that routes every request under /scim/v2 by its canonical_path, so the
    leniency holds for every SCIM route (discovery's too) and its 404s and 405s, in one place.
    PATH_INFO is rewritten before Flask matches it; meta.location is built from the base URL
    and stays canonical."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._wsgi_app = app.wsgi_app

    @cached_property
    def _endpoints(self) -> dict[str, str]:
        """Read from the URL map at the first request, once every blueprint is registered."""
        return _endpoint_segments(rule.rule for rule in self._app.url_map.iter_rules())

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ["PATH_INFO"] = canonical_path(environ.get("PATH_INFO", ""), self._endpoints)
        return self._wsgi_app(environ, start_response)


def _endpoint_segments(rules: Iterable[str]) -> dict[str, str]:
    """The first segment of each route under /scim/v2 that is not a variable, by lower case."""
    segments = {}
    for rule in rules:
        first = rule.removeprefix(f"{PREFIX}/").partition("/")[0]
        if rule.startswith(f"{PREFIX}/") and first and "<" not in first:
            segments[first.lower()] = first
    return segments


def _install_canonical_paths(state: BlueprintSetupState) -> None:
    """With the blueprint, so every app serving /scim/v2 reads its paths leniently."""
    state.app.wsgi_app = CanonicalPaths(state.app)  # type: ignore[method-assign]


bp.record_once(_install_canonical_paths)


@bp.get("")
def query_everything() -> Response:
    """RFC 7644 §3.4.2.1: a GET at the root queries every resource type; the same list as a
    root POST /.search with these parameters."""
    return list_page(EVERYTHING, request.args)


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
    with current_db().transaction() as session:
        directory.delete_user(session, user_id, write_context())
    return Response(status=204)
