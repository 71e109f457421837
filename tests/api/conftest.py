from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from app.db import Database
from app.factory import create_app
from app.settings import Settings
from seats import service
from tests.conftest import NOW, OrgRef
from tests.support import Scim


@pytest.fixture(scope="session")
def app(database_url: str, database: Database) -> Iterator[Flask]:
    application = create_app(Settings(database_url=database_url))
    application.config["TESTING"] = True
    yield application
    application.extensions["db"].dispose()


@pytest.fixture
def make_scim(app: Flask, database: Database, make_org: Callable[..., OrgRef]) -> Callable[..., Scim]:
    """A SCIM client for a fresh org with the given seats (and contract terms)."""

    def make(seats: int = 5, **contract: object) -> Scim:
        org = make_org(seats, **contract)
        with database.transaction() as session:
            _, secret = service.issue_token(session, org.id, "test", NOW)
        return Scim(client=app.test_client(), token=secret, org_id=org.id)

    return make


@pytest.fixture
def scim(make_scim: Callable[..., Scim]) -> Scim:
    return make_scim(seats=50)
