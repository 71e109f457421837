"""RFC 9110 §15.5.6: a 405 MUST carry `Allow` with the methods the resource supports, in
every API's own error format. Paths are chosen per blueprint: each has its own error
rendering (app/errors.py), and a path may be served by several rules, one per method."""
from __future__ import annotations

import pytest
from flask import Flask

from tests.support import ERROR_URN, SCIM_JSON


def _allowed(response_allow: str | None) -> set[str]:
    return {method.strip() for method in (response_allow or "").split(",") if method.strip()}


@pytest.mark.parametrize(("method", "path", "allowed", "media_type"), [
    ("TRACE", "/admin/v1/seats", {"GET", "HEAD", "OPTIONS", "PUT"}, "application/problem+json"),
    ("DELETE", "/admin/v1/scim-tokens", {"GET", "HEAD", "OPTIONS", "POST"},
     "application/problem+json"),
    ("PATCH", "/admin/v1/openapi.json", {"GET", "HEAD", "OPTIONS"}, "application/problem+json"),
    ("TRACE", "/scim/v2/Users", {"GET", "HEAD", "OPTIONS", "POST"}, SCIM_JSON),
    ("POST", "/scim/v2/ServiceProviderConfig", {"GET", "HEAD", "OPTIONS"}, SCIM_JSON),
    ("DELETE", "/metrics", {"GET", "HEAD", "OPTIONS"}, "text/html"),
    ("PUT", "/console/tokens", {"GET", "HEAD", "OPTIONS", "POST"}, "text/html"),
])
def test_405_lists_exactly_the_methods_of_the_route(app: Flask, method: str, path: str,
                                                   allowed: set[str], media_type: str) -> None:
    response = app.test_client().open(path, method=method)
    assert response.status_code == 405
    assert response.mimetype == media_type
    assert _allowed(response.headers.get("Allow")) == allowed


def test_every_listed_method_is_routed(app: Flask) -> None:
    """The header is taken from the router, so what it lists is what the router accepts."""
    client = app.test_client()
    allow = client.open("/admin/v1/alerts", method="TRACE").headers.get("Allow")
    for method in _allowed(allow):
        assert client.open("/admin/v1/alerts", method=method).status_code != 405, method


def test_scim_405_is_a_scim_error(app: Flask) -> None:
    body = app.test_client().open("/scim/v2/Users", method="TRACE").get_json()
    assert body["schemas"] == [ERROR_URN] and body["status"] == "405"


def test_admin_405_is_a_problem_with_a_stable_code(app: Flask) -> None:
    body = app.test_client().open("/admin/v1/seats", method="TRACE").get_json()
    assert body["status"] == 405 and body["code"] == "METHOD_NOT_ALLOWED"
