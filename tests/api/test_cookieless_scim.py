"""SCIM requests authenticate by bearer token: the console's cookie session is neither read
nor answered under /scim/v2 (app.scim_api.cookies), while every other path keeps it."""
from __future__ import annotations

from typing import Any

import pytest
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from tests.support import Scim


def _refuse(*_args: Any) -> None:
    raise AssertionError("the cookie session was opened")


@pytest.mark.parametrize("path", ["/Users", "/users/", "/ServiceProviderConfig"])
def test_scim_requests_open_no_cookie_session(
    scim: Scim, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setattr(SecureCookieSessionInterface, "get_signing_serializer", _refuse)
    scim.client.set_cookie("session", "a console cookie")
    response = scim.get(path)
    assert response.status_code == 200, response.get_json()
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.vary


def test_other_paths_keep_the_signed_cookie_session(scim: Scim) -> None:
    app = scim.client.application
    with app.test_request_context("/console/sign-in") as context:
        assert type(context.session) is SecureCookieSession
