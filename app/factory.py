"""The Flask application factory: one Database per process, shared by every request."""
from __future__ import annotations

import logging

from flask import Flask

from app import (
    console,
    context,
    errors,
    metrics,
    oauth,
    rate_limits,
    sso,
)
from app.admin import routes as admin_routes
from app.db import Database
from app.scim_api import discovery as scim_discovery
from app.scim_api import routes as scim_routes
from app.settings import Settings
from seats import money


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes  # larger bodies: 413
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = not settings.dev_mode
    context.install(app, settings, Database(settings.database_url))
    app.add_template_filter(money.format_amount, "money")
    app.register_blueprint(scim_routes.bp)
    app.register_blueprint(scim_discovery.bp)
    app.register_blueprint(admin_routes.bp)
    app.register_blueprint(sso.bp)
    app.register_blueprint(oauth.bp)
    console.register(app)
    rate_limits.install(app, settings, scim=scim_routes.bp, admin=admin_routes.bp)
    errors.register(app)
    metrics.register(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return app
