"""The console blueprint and what every console request goes through: CSRF on each POST,
the signed-in admin (or a redirect to sign-in), server-side role checks, HTML errors and
security headers. routes.py registers the views on `bp`."""
from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.wrappers import Response

from app import json_input
from app.console import identity
from app.context import current_db
from app.refusals import http_status
from app.roles import MANAGERS, OWNER, RoleRequired
from scim.errors import ScimError
from scim.text import UnstorableText
from seats.clock import utcnow
from seats.errors import SeatsError

bp = Blueprint("console", __name__, url_prefix="/console",
               static_folder="../static/console", static_url_path="/static")
csrf = CSRFProtect()

PUBLIC_ENDPOINTS = frozenset({"console.static", "console.login", "console.link"})
SECURITY_HEADERS = {
    # Inline styles only for the shared printable invoice; no inline scripts anywhere.
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@bp.before_request
def _guard() -> Response | None:
    """CSRF before anything else, sign-in included (login CSRF); then the session."""
    if request.method == "POST":
        csrf.protect()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    admin = identity.current(current_db(), utcnow())
    if admin is None:
        identity.forget()
        wanted = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("console.login", next=wanted))
    g.admin, g.org_id, g.actor = admin, admin.org_id, admin.actor
    return None


@bp.before_request
def _check_url() -> None:
    """After the session check: path segments and query parameters pass the check every
    client text passes (scim.text), so a `%00` is a 400 here rather than a database error."""
    try:
        json_input.check_url()
    except UnstorableText as exc:
        raise BadRequest(str(exc)) from exc


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def can(*roles: str) -> bool:
    """For templates: whether to show a control. The view still checks (`require_role`)."""
    return g.admin.role in roles


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {"can": can, "OWNER": OWNER, "MANAGERS": MANAGERS}


def error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("console/error.html", title=title, message=message), status


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    return error_page(400, "The form expired",
                      "This form was missing its security token or it had expired. "
                      "Go back, reload the page and try again.")


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[str, int]:
    return error_page(exc.code or 500, exc.name, exc.description or exc.name)


@bp.errorhandler(RoleRequired)
def _role_required(exc: RoleRequired) -> tuple[str, int]:
    return error_page(403, "Forbidden", f"This needs the role {' or '.join(exc.needed)}; "
                                        f"you are signed in as {exc.held}.")


@bp.errorhandler(SeatsError)
def _refused(exc: SeatsError) -> tuple[str, int]:
    """A domain refusal no view expected."""
    return error_page(http_status(exc), "Not possible", str(exc))


@bp.errorhandler(ScimError)
def _directory_error(exc: ScimError) -> tuple[str, int]:
    """An unknown user id, mostly: the directory speaks SCIM, the console HTML."""
    return error_page(exc.status, "Not found" if exc.status == 404 else "Not possible",
                      exc.detail)
