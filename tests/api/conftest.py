from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from app.db import Database
from app.factory import create_app
from app.settings import Settings
from seats import credentials
from tests.conftest import NOW, OrgRef
from tests.live_server import UNLIMITED_SETTINGS
from tests.support import Admin, Scim, admin_token


@pytest.fixture(scope="session")
def app(database_url: str, database: Database) -> Iterator[Flask]:
    application = create_app(Settings(database_url=database_url, **UNLIMITED_SETTINGS))
    application.config["TESTING"] = True
    yield application
    application.extensions["db"].dispose()


@pytest.fixture
def make_scim(app: Flask, database: Database, make_org: Callable[..., OrgRef]) -> Callable[..., Scim]:
    """A SCIM client for a fresh org with the given seats (and contract terms)."""

    def make(seats: int = 5, **contract: object) -> Scim:
        org = make_org(seats, **contract)
        with database.transaction() as session:
            _, secret = credentials.issue_token(session, org.id, "test", NOW)
        return Scim(client=app.test_client(), token=secret, org_id=org.id, org_slug=org.slug)

    return make


@pytest.fixture
def make_admin(make_scim: Callable[..., Scim]) -> Callable[..., Admin]:
    """An admin API client (default: the primary owner) for a fresh org."""

    def make(seats: int = 5, role: str = "primary_owner", **contract: object) -> Admin:
        scim = make_scim(seats, **contract)
        token = admin_token(scim.client.application, scim.org_slug, role)
        return Admin(client=scim.client, token=token, scim=scim)

    return make


@pytest.fixture
def owner(make_admin: Callable[..., Admin]) -> Admin:
    return make_admin()


@pytest.fixture
def scim(make_scim: Callable[..., Scim]) -> Scim:
    return make_scim(seats=50)
