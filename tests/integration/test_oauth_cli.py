"""`scim-seats issue-client` / `revoke-client` against a real database."""
from __future__ import annotations

import hashlib
import uuid

from app.db import Database
from seats import credentials
from seats.models import OAuthClientRow
from tests.conftest import NOW


def issued(output: str) -> dict[str, str]:
    """The `label: value` lines the operator copies into the IdP."""
    return dict(
        (label.strip(), value.strip())
        for label, _, value in (line.partition(": ") for line in output.splitlines())
    )


def test_issue_then_revoke_a_client(run, database: Database) -> None:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    assert run("create-org", slug, "--seats", "3").exit_code == 0
    result = run("issue-client", slug, "--name", "entra")
    assert result.exit_code == 0, result.output
    printed = issued(result.output)
    client_id, secret = printed["client_id"], printed["client_secret"]
    assert client_id.startswith("scc_") and secret.startswith("sccs_") and len(secret) > 40
    assert printed["token URL"].endswith("/oauth/token")

    with database.transaction(write=False) as session:
        row = session.get_one(OAuthClientRow, client_id)
        assert row.name == "entra" and row.revoked_at is None
        assert row.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    with database.transaction() as session:
        assert credentials.authenticate_client(session, client_id, secret, NOW) is not None

    revoked = run("revoke-client", client_id)
    assert revoked.exit_code == 0 and revoked.output.strip() == f"OAuth client {client_id} revoked"
    with database.transaction(write=False) as session:
        first = session.get_one(OAuthClientRow, client_id).revoked_at
        assert first is not None
    with database.transaction() as session:
        assert credentials.authenticate_client(session, client_id, secret, NOW) is None

    assert run("revoke-client", client_id).exit_code == 0
    with database.transaction(write=False) as session:
        assert session.get_one(OAuthClientRow, client_id).revoked_at == first


def test_each_client_gets_its_own_id_and_secret(run) -> None:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    assert run("create-org", slug, "--seats", "1").exit_code == 0
    first, second = issued(run("issue-client", slug).output), issued(run("issue-client", slug).output)
    assert first["client_id"] != second["client_id"]
    assert first["client_secret"] != second["client_secret"]


def test_unknown_org_or_client_is_one_clear_line(run) -> None:
    unknown_org = run("issue-client", "nope-org")
    assert unknown_org.exit_code == 1
    assert unknown_org.output.strip() == "Error: no organisation with slug 'nope-org'"
    unknown_client = run("revoke-client", "scc_nope")
    assert unknown_client.exit_code == 1
    assert unknown_client.output.strip() == "Error: no OAuth client with id 'scc_nope'"
