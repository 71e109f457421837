"""The one place that knows where the app keeps its per-process objects: the factory puts
the settings and the Database in `Flask.extensions` with `install`, and every request reads
them through `current_settings()` / `current_db()`, typed, instead of indexing a dict."""
from __future__ import annotations

from typing import cast

from flask import Flask, current_app

from app.db import Database
from app.settings import Settings

_SETTINGS = "settings"
_DB = "db"


def install(app: Flask, settings: Settings, database: Database) -> None:
    app.extensions[_SETTINGS] = settings
    app.extensions[_DB] = database


def app_settings(app: Flask) -> Settings:
    """For code that holds the app outside a request (metrics registration, the OpenAPI
    document)."""
    return cast(Settings, app.extensions[_SETTINGS])


def app_db(app: Flask) -> Database:
    return cast(Database, app.extensions[_DB])


def current_settings() -> Settings:
    return app_settings(current_app)


def current_db() -> Database:
    return app_db(current_app)
