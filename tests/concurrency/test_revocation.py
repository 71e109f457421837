"""Revocation across processes: a SCIM token or OAuth client revoked by another process (here
the test's, as the admin API or the CLI would on another instance) is refused by the next
request to every gunicorn worker of every server. Nothing about a token is cached in a
worker: authentication reads it in the request's own transaction, every time."""
from __future__ import annotations

import base64
from collections.abc import Callable
from urllib.parse import quote

import requests

from app.db import Database
from seats import credentials
from tests.conftest import NOW, OrgRef

# Each request on a fresh connection, so that gunicorn hands them to all its workers.
CONNECTIONS = 24


def _statuses(servers: list[str], token: str) -> set[int]:
    """Status of GET /Users on CONNECTIONS fresh connections spread over the servers."""
    seen = set()
    for i in range(CONNECTIONS):
        response = requests.get(
            f"{servers[i % len(servers)]}/scim/v2/Users?count=1",
            headers={"Authorization": f"Bearer {token}", "Connection": "close"},
            timeout=30,
        )
        seen.add(response.status_code)
    return seen


def _access_token(base: str, client_id: str, secret: str) -> str:
    """client_credentials at the server's token endpoint (RFC 6749 §4.4, §2.3.1)."""
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    response = requests.post(
        f"{base}/oauth/token", data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(raw).decode()}, timeout=30,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def test_a_revoked_scim_token_is_refused_by_every_worker_at_once(
    servers: list[str], database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org = make_org()
    with database.transaction() as session:
        row, token = credentials.issue_token(session, org.id, "idp", NOW)
    assert _statuses(servers, token) == {200}
    with database.transaction() as session:
        assert credentials.revoke_token(session, org.id, row.id, NOW)
    assert _statuses(servers, token) == {401}


def test_a_revoked_oauth_client_is_refused_by_every_worker_at_once(
    servers: list[str], database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org = make_org()
    with database.transaction() as session:
        client, secret = credentials.issue_client(session, org.id, "entra", NOW)
    token = _access_token(servers[0], client.id, secret)
    assert _statuses(servers, token) == {200}
    with database.transaction() as session:
        credentials.revoke_client(session, client.id, NOW)
    assert _statuses(servers, token) == {401}
