"""JSON responses with the SCIM media type (RFC 7644 §8.1), error documents (§3.12) included."""
from __future__ import annotations

import json
from typing import Any

from flask import Response

from scim.errors import ScimError

SCIM_MEDIA_TYPE = "application/scim+json"


def scim_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status=status,
        headers=headers,
        content_type=f"{SCIM_MEDIA_TYPE}; charset=utf-8",
    )


def scim_error(error: ScimError) -> Response:
    response = scim_json(error.to_dict(), error.status)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response
