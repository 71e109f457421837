"""The admin API blueprint and what every admin request goes through; routes.py registers
the views on it."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from app import json_input
from app.admin.auth import authenticate_admin
from app.admin.problems import Problem, from_domain, problem_response
from app.roles import RoleRequired
from scim.errors import ScimError
from scim.text import UnstorableText
from seats.errors import SeatsError

bp = Blueprint("admin", __name__, url_prefix="/admin/v1")
bp.before_request(authenticate_admin)
bp.register_error_handler(Problem, problem_response)
bp.register_error_handler(
    RoleRequired,
    lambda exc: problem_response(Problem(
        403, "FORBIDDEN", f"this action needs the role {' or '.join(exc.needed)}; you are {exc.held}",
    )),
)
bp.register_error_handler(SeatsError, lambda exc: problem_response(from_domain(exc)))
bp.register_error_handler(
    ScimError,
    lambda exc: problem_response(
        Problem(exc.status, "NOT_FOUND" if exc.status == 404 else "INVALID_REQUEST", exc.detail)
    ),
)


@bp.before_request
def _check_url() -> None:
    """After authentication: path segments and query parameters pass the check bodies pass
    (scim.text), so a `%00` is a 400 here rather than a database error."""
    try:
        json_input.check_path(request.view_args)
    except UnstorableText as exc:
        raise Problem(400, "INVALID_PATH", str(exc)) from exc
    try:
        json_input.check_query(request.args.items(multi=True))
    except UnstorableText as exc:
        raise Problem(400, "INVALID_QUERY", str(exc)) from exc


def json_body() -> dict[str, Any]:
    try:
        body = json_input.loads(request.get_data())
    except (json_input.BadJson, UnstorableText) as exc:
        raise Problem(400, "INVALID_BODY", str(exc)) from exc
    if not isinstance(body, dict):
        raise Problem(400, "INVALID_BODY", "the request body must be a JSON object")
    return body


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
