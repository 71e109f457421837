"""A database that cannot be reached answers 503 with Retry-After in each front end's own
format, never a 500 (docs/spec/service-protection.md, 107). In process, against a
PostgreSQL URL on a port where nothing listens; the restart of a real database under a live
server is tests/integration/test_database_restart.py."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.console.links import issue_link
from app.errors import DATABASE_RETRY_AFTER_SECONDS
from app.factory import create_app
from app.settings import Settings
from tests.conftest import NOW
from tests.live_server import UNLIMITED_SETTINGS, free_port
from tests.support import CREDENTIAL_TTL, admin_token, assert_problem, assert_scim_error

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture(scope="module")
def unreachable() -> Iterator[Flask]:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    application = create_app(Settings(database_url=url, **UNLIMITED_SETTINGS))
    yield application
    application.extensions["db"].dispose()


@pytest.fixture
def client(unreachable: Flask) -> FlaskClient:
    return unreachable.test_client()


def _retries(response: TestResponse) -> None:
    assert response.headers["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)


def test_scim_reads_and_writes_get_a_scim_503(client: FlaskClient) -> None:
    headers = {"Authorization": "Bearer scs_any"}
    for response in (
        client.get("/scim/v2/Users", headers=headers),
        client.post("/scim/v2/Users", headers=headers,
                    json={"schemas": [USER_URN], "userName": "down@example.com"}),
    ):
        body = assert_scim_error(response, 503)
        assert "database" in body["detail"]
        _retries(response)


def test_the_admin_api_gets_a_problem_document(client: FlaskClient, unreachable: Flask) -> None:
    token = admin_token(unreachable, "some-org", "primary_owner")
    response = client.get("/admin/v1/seats", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 503, "SERVICE_UNAVAILABLE")
    _retries(response)


def test_the_console_gets_a_plain_page(client: FlaskClient, unreachable: Flask) -> None:
    link = issue_link(unreachable.extensions["settings"], slug="some-org", role="admin",
                      sub="admin@example.com", ttl=CREDENTIAL_TTL, now=NOW)
    response = client.get(link.removeprefix(unreachable.extensions["settings"].base_url))
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "Service Unavailable" in response.get_data(as_text=True)
    _retries(response)
