"""SCIM requests carry a bearer token, never the console's cookie, so they do without Flask's
cookie session. Flask opens one on every request: for a SCIM request that built an
itsdangerous serializer (which encodes a test document to learn its output type) and read
the cookie header, only for the session to be left unused and not saved, about 10 µs of CPU
on every SCIM request. The console and OAuth routes keep their signed-cookie sessions."""
from __future__ import annotations

from typing import cast

from flask import Flask, Request
from flask.blueprints import BlueprintSetupState
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from app.scim_api.paths import PREFIX


class CookielessScim(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, but a null session (empty, read-only, never saved)
    for every path under /scim/v2, discovery included."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path == PREFIX or request.path.startswith(f"{PREFIX}/"):
            return None  # Flask then makes the null session: nothing read, nothing saved
        return super().open_session(app, request)


def install_cookieless_scim(state: BlueprintSetupState) -> None:
    """With the SCIM blueprint, like the path leniency (app.scim_api.paths)."""
    cast(Flask, state.app).session_interface = CookielessScim()
