"""Request limits per token and per org (docs/spec/service-protection.md, 101-106), in
process: each test builds an app with small limits over a window far longer than the test,
so which request is refused depends on counts only, never on timing."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from app.factory import create_app
from app.settings import Settings
from seats import credentials
from tests.conftest import NOW, OrgRef
from tests.live_server import UNLIMITED_SETTINGS, free_port
from tests.support import Admin, Scim, admin_token, assert_problem, assert_scim_error

HOUR = 3600


@pytest.fixture
def limited(database_url: str) -> Iterator[Callable[..., Flask]]:
    """An app with the given limits (the others unlimited), disposed after the test."""
    apps: list[Flask] = []

    def make(**limits: str) -> Flask:
        application = create_app(Settings(database_url=database_url,
                                          **{**UNLIMITED_SETTINGS, **limits}))
        apps.append(application)
        return application

    yield make
    for application in apps:
        application.extensions["db"].dispose()


def _scim(app: Flask, org: OrgRef) -> Scim:
    with app.extensions["db"].transaction() as session:
        _, secret = credentials.issue_token(session, org.id, "test", NOW)
    return Scim(client=app.test_client(), token=secret, org_id=org.id, org_slug=org.slug)


def _assert_retry_after(response: TestResponse, window_seconds: int) -> None:
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= window_seconds


def test_a_token_past_its_limit_gets_429_with_retry_after_and_a_scim_error(
        limited: Callable[..., Flask], org: OrgRef) -> None:
    """101"""
    app = limited(scim_token_rate_limit="3 per hour")
    scim = _scim(app, org)
    assert [scim.get("/Users").status_code for _ in range(3)] == [200] * 3
    refused = scim.get("/Users")
    body = assert_scim_error(refused, 429)
    assert "too many requests" in body["detail"]
    _assert_retry_after(refused, HOUR)
    refused_write = scim.post("/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                         "userName": "limited@example.com"})
    assert_scim_error(refused_write, 429)
    assert scim.get("/Users").status_code == 429  # still spent: refusals leave it so
    other = _scim(app, org)
    assert other.get("/Users", filter='userName eq "limited@example.com"').get_json()[
        "totalResults"] == 0


def test_the_org_limit_counts_every_token_of_the_org_and_no_other_org(
        limited: Callable[..., Flask],
        make_org: Callable[..., OrgRef]) -> None:
    """102"""
    app = limited(scim_token_rate_limit="3 per hour", scim_org_rate_limit="5 per hour")
    org = make_org()
    first, second = _scim(app, org), _scim(app, org)
    assert [first.get("/Users").status_code for _ in range(3)] == [200] * 3
    assert [second.get("/Users").status_code for _ in range(2)] == [200] * 2
    assert_scim_error(second.get("/Users"), 429)  # the token has 1 left; the org has none
    elsewhere = _scim(app, make_org())
    assert elsewhere.get("/Users").status_code == 200


def test_the_admin_api_answers_429_as_a_problem_document(
        limited: Callable[..., Flask],
        make_org: Callable[..., OrgRef]) -> None:
    """103"""
    app = limited(admin_token_rate_limit="2 per hour", admin_org_rate_limit="3 per hour")
    org = make_org()
    scim = _scim(app, org)
    owner = Admin(client=app.test_client(), token=admin_token(app, org.slug, "primary_owner"),
                  scim=scim)
    viewer = Admin(client=app.test_client(),
                   token=admin_token(app, org.slug, "viewer", sub="viewer@example.com"),
                   scim=scim)
    assert [owner.get("/seats").status_code for _ in range(2)] == [200, 200]
    refused = owner.get("/seats")
    assert_problem(refused, 429, "TOO_MANY_REQUESTS")
    _assert_retry_after(refused, HOUR)
    assert viewer.get("/seats").status_code == 200  # another admin: its own allowance
    assert_problem(viewer.get("/seats"), 429, "TOO_MANY_REQUESTS")  # the org's 3 are spent
    assert scim.get("/Users").status_code == 200  # the SCIM API counts apart


def test_refused_credentials_spend_no_allowance(
        limited: Callable[..., Flask], org: OrgRef) -> None:
    """104: the limit is checked after authentication, so it is keyed on a verified org."""
    app = limited(scim_token_rate_limit="2 per hour")
    scim = _scim(app, org)
    client = app.test_client()
    for _ in range(3):
        assert_scim_error(client.get("/scim/v2/Users",
                                     headers={"Authorization": "Bearer scs_wrong"}), 401)
    assert [scim.get("/Users").status_code for _ in range(2)] == [200, 200]


def test_an_unreachable_limit_store_lets_requests_through(
        limited: Callable[..., Flask], org: OrgRef) -> None:
    """105: nothing listens on the port, so every count fails; the API keeps answering."""
    app = limited(rate_limit_storage=f"redis://127.0.0.1:{free_port()}/0",
                  scim_token_rate_limit="1 per hour")
    scim = _scim(app, org)
    assert [scim.get("/Users").status_code for _ in range(3)] == [200] * 3


def test_service_provider_config_and_schemas_are_not_limited(
        limited: Callable[..., Flask], org: OrgRef) -> None:
    """106: discovery answers without a token, so it has no token or org to count."""
    app = limited(scim_token_rate_limit="1 per hour")
    client = app.test_client()
    for path in ("ServiceProviderConfig", "Schemas", "ResourceTypes") * 2:
        assert client.get(f"/scim/v2/{path}").status_code == 200
