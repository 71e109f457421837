"""OAuth 2.0 client credentials (RFC 6749 §4.4) as Entra ID uses it: a client id and secret
exchanged at /oauth/token for a short-lived JWT that /scim/v2 accepts like a static token."""
from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import jwt
import pytest
from flask import Flask
from sqlalchemy import select

from app.db import Database
from app.oauth import issue_access_token
from app.settings import Settings
from seats import credentials
from seats.clock import utcnow
from seats.models import AuditEvent, OAuthClientRow
from tests.conftest import NOW, OrgRef
from tests.support import Scim, admin_token, assert_problem, assert_scim_error

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


@dataclass(frozen=True)
class Client:
    id: str
    secret: str
    org_id: str
    org_slug: str


@pytest.fixture
def make_client(database: Database, make_org: Callable[..., OrgRef]) -> Callable[..., Client]:
    """An OAuth client of the given org (default: a fresh one)."""

    def make(org: OrgRef | None = None) -> Client:
        org = org or make_org()
        with database.transaction() as session:
            row, secret = credentials.issue_client(session, org.id, "entra", NOW)
        return Client(id=row.id, secret=secret, org_id=org.id, org_slug=org.slug)

    return make


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client()


def basic(client_id: str, secret: str) -> dict[str, str]:
    """RFC 6749 §2.3.1: form-urlencode each part, then Basic-encode."""
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def request_token(app: Flask, data: dict[str, str], headers: dict[str, str] | None = None
                  ) -> Any:
    return app.test_client().post("/oauth/token", data=data, headers=headers or {})


def access_token(app: Flask, client: Client) -> str:
    response = request_token(app, {"grant_type": "client_credentials"},
                             basic(client.id, client.secret))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


def scim_with(app: Flask, token: str, org_id: str) -> Scim:
    return Scim(client=app.test_client(), token=token, org_id=org_id)


def assert_oauth_error(response: Any, status: int, error: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["error"] == error and body["error_description"]
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Basic")


def settings_of(app: Flask) -> Settings:
    return app.extensions["settings"]


def b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# --- issuing tokens -------------------------------------------------------------------------


def test_basic_auth_issues_a_bearer_jwt_that_lists_users(app: Flask, client: Client) -> None:
    response = request_token(app, {"grant_type": "client_credentials"},
                             basic(client.id, client.secret))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings_of(app).oauth_token_ttl_seconds == 3600
    claims = jwt.decode(body["access_token"], settings_of(app).secret_key, algorithms=["HS256"],
                        audience="scim-seats-scim", issuer="scim-seats")
    assert claims["sub"] == client.id and claims["org"] == client.org_id
    assert claims["exp"] - claims["iat"] == 3600 and claims["jti"]

    listed = scim_with(app, body["access_token"], client.org_id).get("/Users")
    assert listed.status_code == 200, listed.get_data(as_text=True)
    assert listed.get_json()["totalResults"] == 0


def test_form_fields_issue_a_token_and_mark_the_client_used(
    app: Flask, client: Client, database: Database
) -> None:
    response = request_token(app, {"grant_type": "client_credentials", "client_id": client.id,
                                   "client_secret": client.secret})
    assert response.status_code == 200
    assert scim_with(app, response.get_json()["access_token"], client.org_id).get(
        "/Users").status_code == 200
    with database.transaction(write=False) as session:
        assert session.get_one(OAuthClientRow, client.id).last_used_at is not None


def test_each_token_is_distinct(app: Flask, client: Client) -> None:
    assert access_token(app, client) != access_token(app, client)


def test_writes_are_audited_as_the_oauth_client(
    app: Flask, client: Client, database: Database
) -> None:
    scim = scim_with(app, access_token(app, client), client.org_id)
    scim.create("entra-user@example.com")
    with database.transaction(write=False) as session:
        actors = session.execute(select(AuditEvent.actor, AuditEvent.actor_name).where(
            AuditEvent.org_id == client.org_id, AuditEvent.action == "seat.claimed"))
        assert [tuple(actor) for actor in actors] == [(f"oauth-client:{client.id}", "entra")]


def test_ttl_comes_from_the_environment() -> None:
    assert Settings.from_env({"SCIM_DEV": "1"}).oauth_token_ttl_seconds == 3600
    assert Settings.from_env({"SCIM_DEV": "1", "SCIM_OAUTH_TOKEN_TTL": "600"}).oauth_token_ttl_seconds == 600


# --- refused token requests -----------------------------------------------------------------


@pytest.mark.parametrize("case", ["wrong secret", "unknown client", "revoked client"])
@pytest.mark.parametrize("method", ["basic", "form"])
def test_bad_credentials_are_invalid_client(
    app: Flask, client: Client, database: Database, case: str, method: str
) -> None:
    client_id, secret = client.id, client.secret
    if case == "wrong secret":
        secret = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    elif case == "unknown client":
        client_id = "scc_" + "0" * 32
    else:
        with database.transaction() as session:
            credentials.revoke_client(session, client.id, NOW)
    data = {"grant_type": "client_credentials"}
    if method == "basic":
        response = request_token(app, data, basic(client_id, secret))
    else:
        response = request_token(app, {**data, "client_id": client_id, "client_secret": secret})
    assert_oauth_error(response, 401, "invalid_client")


def test_no_client_authentication_is_invalid_client(app: Flask) -> None:
    assert_oauth_error(request_token(app, {"grant_type": "client_credentials"}), 401,
                       "invalid_client")


def test_another_authorization_scheme_is_invalid_client(app: Flask, client: Client) -> None:
    response = request_token(app, {"grant_type": "client_credentials"},
                             {"Authorization": f"Bearer {client.secret}"})
    assert_oauth_error(response, 401, "invalid_client")


def test_unsupported_grant_type(app: Flask, client: Client) -> None:
    response = request_token(app, {"grant_type": "password", "username": "a", "password": "b"},
                             basic(client.id, client.secret))
    assert_oauth_error(response, 400, "unsupported_grant_type")


def test_missing_grant_type_is_invalid_request(app: Flask, client: Client) -> None:
    for data in ({}, {"grant_type": ""}):
        assert_oauth_error(request_token(app, data, basic(client.id, client.secret)), 400,
                           "invalid_request")


def test_both_authentication_methods_at_once_are_refused(app: Flask, client: Client) -> None:
    response = request_token(app, {"grant_type": "client_credentials", "client_id": client.id,
                                   "client_secret": client.secret},
                             basic(client.id, client.secret))
    assert_oauth_error(response, 400, "invalid_request")


def test_a_json_body_is_invalid_request(app: Flask, client: Client) -> None:
    response = app.test_client().post(
        "/oauth/token", json={"grant_type": "client_credentials", "client_id": client.id,
                              "client_secret": client.secret})
    assert_oauth_error(response, 400, "invalid_request")


def test_a_repeated_parameter_is_invalid_request(app: Flask, client: Client) -> None:
    response = app.test_client().post(
        "/oauth/token", data="grant_type=client_credentials&grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded", headers=basic(client.id, client.secret))
    assert_oauth_error(response, 400, "invalid_request")


def test_malformed_basic_credentials_are_invalid_request(app: Flask) -> None:
    for header in ("Basic !!!not-base64", "Basic " + base64.b64encode(b"no-colon").decode()):
        response = request_token(app, {"grant_type": "client_credentials"},
                                 {"Authorization": header})
        assert_oauth_error(response, 400, "invalid_request")


# --- access tokens on /scim/v2 --------------------------------------------------------------


def test_revoking_the_client_stops_its_existing_tokens(
    app: Flask, client: Client, database: Database
) -> None:
    scim = scim_with(app, access_token(app, client), client.org_id)
    assert scim.get("/Users").status_code == 200
    with database.transaction() as session:
        credentials.revoke_client(session, client.id, NOW)
    assert_scim_error(scim.get("/Users"), 401)


def test_an_expired_token_is_refused(app: Flask, client: Client) -> None:
    settings = settings_of(app)
    issued = utcnow() - timedelta(seconds=settings.oauth_token_ttl_seconds + 120)
    token = issue_access_token(settings, client_id=client.id, org_id=client.org_id, now=issued)
    assert_scim_error(scim_with(app, token, client.org_id).get("/Users"), 401)


def test_a_tampered_token_is_refused(
    app: Flask, client: Client, make_scim: Callable[..., Scim]
) -> None:
    other = make_scim()
    header, payload, signature = access_token(app, client).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = ".".join([header, b64url({**claims, "org": other.org_id}), signature])
    assert_scim_error(scim_with(app, forged, other.org_id).get("/Users"), 401)


def test_an_unsigned_token_is_refused(app: Flask, client: Client) -> None:
    _, payload, _ = access_token(app, client).split(".")
    unsigned = f"{b64url({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    assert_scim_error(scim_with(app, unsigned, client.org_id).get("/Users"), 401)


def test_a_token_signed_with_another_key_is_refused(app: Flask, client: Client) -> None:
    foreign = Settings(secret_key="another-server-secret-key-of-32-bytes-or-more")
    token = issue_access_token(foreign, client_id=client.id, org_id=client.org_id, now=utcnow())
    assert_scim_error(scim_with(app, token, client.org_id).get("/Users"), 401)


@pytest.mark.parametrize("claim, value", [("aud", "scim-seats-admin"), ("iss", "elsewhere")])
def test_a_token_for_another_audience_or_issuer_is_refused(
    app: Flask, client: Client, claim: str, value: str
) -> None:
    """Signed with our own key, so only the aud/iss checks can refuse it."""
    key = settings_of(app).secret_key
    claims = jwt.decode(access_token(app, client), key, algorithms=["HS256"],
                        options={"verify_aud": False})
    token = jwt.encode({**claims, claim: value}, key, algorithm="HS256")
    assert_scim_error(scim_with(app, token, client.org_id).get("/Users"), 401)


def test_a_token_whose_org_is_not_the_clients_is_refused(
    app: Flask, client: Client, make_scim: Callable[..., Scim]
) -> None:
    """Even correctly signed: the client row, not the token, has the last word on the org."""
    other = make_scim()
    token = issue_access_token(settings_of(app), client_id=client.id, org_id=other.org_id,
                               now=utcnow())
    assert_scim_error(scim_with(app, token, other.org_id).get("/Users"), 401)


def test_a_token_for_org_a_never_sees_org_b(
    app: Flask, make_client: Callable[..., Client], make_scim: Callable[..., Scim]
) -> None:
    org_b = make_scim()
    b_user = org_b.create("only-in-b@example.com")
    client_a = make_client()
    scim_a = scim_with(app, access_token(app, client_a), client_a.org_id)
    listed = scim_a.get("/Users")
    assert listed.status_code == 200 and listed.get_json()["totalResults"] == 0
    assert scim_a.get("/Users", filter='userName eq "only-in-b@example.com"').get_json()[
        "totalResults"] == 0
    assert_scim_error(scim_a.get(f"/Users/{b_user['id']}"), 404)
    assert_scim_error(scim_a.delete(f"/Users/{b_user['id']}"), 404)
    assert org_b.get(f"/Users/{b_user['id']}").status_code == 200


def test_tokens_do_not_cross_between_the_scim_and_admin_apis(app: Flask, client: Client) -> None:
    admin = admin_token(app, client.org_slug, "primary_owner")
    assert_scim_error(scim_with(app, admin, client.org_id).get("/Users"), 401)
    response = app.test_client().get(
        "/admin/v1/seats", headers={"Authorization": f"Bearer {access_token(app, client)}"})
    assert_problem(response, 401, "UNAUTHENTICATED")
