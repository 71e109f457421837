"""How failures read over HTTP. Under /scim/v2 every error is a SCIM error document; a 500
never shows internals. An unreachable database is a 503 with Retry-After, so that IdPs
retry later instead of failing the user. A seat refusal is audited in its own transaction
after the refused one rolled back (app.scim_api.refusals), so it leaves a trace and nothing
else."""
from __future__ import annotations

import logging

from flask import Flask, Response, request
from sqlalchemy import exc as db_errors
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    ServiceUnavailable,
    TooManyRequests,
)

from app.admin.problems import Problem, problem_response
from app.scim_api.paths import PREFIX
from app.scim_api.refusals import record_seat_refusal
from app.scim_api.responses import scim_error
from scim.errors import ScimError
from seats.errors import SeatsError

log = logging.getLogger(__name__)

ADMIN_PREFIX = "/admin/v1"
DATABASE_RETRY_AFTER_SECONDS = 5
"""A PostgreSQL restart or failover takes seconds; the pool reconnects at the next request
once the database answers (pool_pre_ping, app/db.py), so clients need not wait longer."""
DATABASE_UNAVAILABLE = (db_errors.OperationalError, db_errors.InterfaceError,
                        db_errors.TimeoutError)
"""What SQLAlchemy raises when no connection can be had or one dies mid-request: refused,
shutting down, terminated, SQLite busy past its timeout, the pool exhausted."""


def _seat_refusal(exc: SeatsError) -> Response:
    return scim_error(record_seat_refusal(exc))


def _http_error(exc: HTTPException) -> Response | HTTPException:
    """Routing errors (404, 405, ...), request limits (429) and an unreachable database
    (503) in the error format of the API the path belongs to."""
    status = exc.code or 500
    if request.path.startswith(PREFIX):
        response = scim_error(ScimError(status, exc.description or exc.name))
    elif request.path.startswith(ADMIN_PREFIX):
        code = exc.name.upper().replace(" ", "_")
        response = problem_response(Problem(status, code, exc.description or exc.name))
    else:
        return exc  # werkzeug's own page carries the exception's headers
    if isinstance(exc, (TooManyRequests, ServiceUnavailable)) and exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)  # RFC 9110 §10.2.3
    return response


def _routing_error(exc: HTTPException) -> Response | HTTPException:
    """RFC 9110 §15.5.6: a 405 MUST carry `Allow`. werkzeug knows the route's methods but
    only writes them into its own HTML response, which the API error documents replace."""
    response = _http_error(exc)
    if isinstance(exc, MethodNotAllowed) and isinstance(response, Response) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return response


def _database_unavailable(exc: Exception) -> Response | HTTPException:
    """One line, no trace: an outage would otherwise bury the log in identical stacks."""
    log.warning("database unavailable on %s %s: %s", request.method, request.path,
                str(getattr(exc, "orig", None) or exc).strip().partition("\n")[0])
    return _http_error(ServiceUnavailable(
        "the database is unavailable; retry shortly", retry_after=DATABASE_RETRY_AFTER_SECONDS))


def _unexpected(exc: Exception) -> Response | HTTPException:
    """Logged with its trace; the client sees no internals."""
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _http_error(InternalServerError("internal server error"))


def register(app: Flask) -> None:
    app.register_error_handler(ScimError, scim_error)
    app.register_error_handler(SeatsError, _seat_refusal)
    app.register_error_handler(HTTPException, _routing_error)
    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)
