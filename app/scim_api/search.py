"""Lists: GET on /Users, /Groups or the root (RFC 7644 §3.4.2, §3.4.2.1) and POST /.search
on each (§3.4.3). One handler serves all six routes: a SearchRequest carries the same
parameters as a query string, and the answer is the same ListResponse."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response, request

from app.scim_api.handlers import list_request
from app.scim_api.request import request_body, request_transaction
from scim.listing import Source, search_parameters


def list_resources(sources: Sequence[Source]) -> Response:
    """At the root, users and groups in one list, types mixed in the order sortBy asks for
    (meta.created without one); totalResults counts both."""
    listing = list_request(sources, _parameters())
    with request_transaction() as session:
        page = listing.read(session)
    return listing.response(page)


def _parameters() -> Mapping[str, Any]:
    """The query string of a GET, or the SearchRequest a POST /.search carries."""
    if request.method == "GET":
        return request.args
    return search_parameters(request_body())
