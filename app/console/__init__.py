"""The admin console: server-rendered pages for an org's admins over the same use cases as
the admin API (seats.commerce, seats.idempotency, seats.invoices, scim.users), so a rule
changed there is changed here. `register` is the one hook the app factory calls."""
from __future__ import annotations

from flask import Flask

from app.console.blueprint import csrf
from app.console.routes import bp


def register(app: Flask) -> None:
    """CSRF is checked by the console blueprint on its own POSTs only: the SCIM, admin and SSO
    APIs authenticate with bearer tokens, which a browser never sends by itself, so they need
    no CSRF token. Tokens live as long as the console session (whose expiry is ours)."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    csrf.init_app(app)
    app.register_blueprint(bp)
