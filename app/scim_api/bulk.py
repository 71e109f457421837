"""POST /Bulk (RFC 7644 §3.7) on the SCIM blueprint, so it shares its bearer-token
authentication, org scope and error documents. Every operation is a transaction of its own,
so each is seat-checked alone: a refused activation is one 403 result, audited like a single
request, and the other operations still run (spec edge case 17)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Response, request
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from app.context import current_db, current_settings
from app.scim_api.discovery import bulk_limits
from app.scim_api.refusals import record_seat_refusal
from app.scim_api.request import name_actor, request_body, write_context
from app.scim_api.responses import scim_json
from scim import bulk
from scim.errors import ScimError
from seats.errors import SeatsError

log = logging.getLogger(__name__)


def _bounded_body(max_payload_size: int) -> Any:
    """Checked on the bytes before parsing. Werkzeug refuses a Content-Length over the limit
    before reading anything; a body without one (chunked) is read one byte past the limit at
    most, which tells a body over the limit from one that just fits without holding more."""
    request.max_content_length = max_payload_size + 1
    try:
        oversized = len(request.get_data(cache=True)) > max_payload_size
    except RequestEntityTooLarge:
        oversized = True
    if oversized:
        raise ScimError(413, f"the request body is over maxPayloadSize ({max_payload_size} bytes)")
    return request_body()


def _own_transaction(work: Callable[[Session], bulk.Written]) -> bulk.Written:
    """An unexpected failure is a 500 in that operation's result, not for the request: the
    operations before it have committed, and the client must learn which did."""
    try:
        with current_db().transaction() as session:
            return work(name_actor(session))
    except SeatsError as exc:
        raise record_seat_refusal(exc) from exc
    except ScimError:
        raise
    except Exception as exc:
        log.exception("bulk operation failed on %s", request.path)
        raise ScimError(500, "internal server error") from exc


def post_bulk() -> Response:
    limits = bulk_limits(current_settings())
    parsed = bulk.parse_request(_bounded_body(limits.max_payload_size), limits.max_operations)
    base_url = current_settings().scim_base_url
    return scim_json(bulk.run(parsed, write_context(), base_url, _own_transaction))
