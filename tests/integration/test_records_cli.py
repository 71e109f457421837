"""What the command line changes is audited under the actor `cli` (docs/spec/records.md, 203,
208, 224): OAuth clients, SSO settings and the billing profile, whose command keeps the admin
API's rules and refuses in one clear line."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db import Database
from seats.models import AuditEvent, BillingProfile
from tests.conftest import OrgRef
from tests.integration.conftest import Run

pytestmark = pytest.mark.date_sensitive  # the CLI is in the date matrix





def test_224_the_cli_sets_the_profile_and_audits_it(run: Run, org: OrgRef,
                                                    database: Database) -> None:
    result = run("billing-profile", org.slug, "--legal-name", "Acme Widgets Ltd",
                 "--email", "accounts@acme.example", "--address", r"1 High Street\nLondon",
                 "--tax-id", "GB999999973")
    assert result.exit_code == 0, result.output
    assert result.output == f"billing profile of {org.slug}: Acme Widgets Ltd\n"
    with database.transaction(write=False) as session:
        profile = session.get_one(BillingProfile, org.id)
        entry = session.scalars(select(AuditEvent).where(AuditEvent.org_id == org.id)).one()
    assert profile.address == "1 High Street\nLondon" and profile.tax_id == "GB999999973"
    assert (entry.action, entry.actor) == ("billing-profile.changed", "cli")


@pytest.mark.parametrize("args", [
    ("--legal-name", "  ", "--email", "accounts@acme.example"),
    ("--legal-name", "Acme", "--email", "nobody"),
])
def test_224_the_cli_refuses_a_bad_profile_in_one_line(run: Run, org: OrgRef, database: Database,
                                                       args: tuple[str, ...]) -> None:
    result = run("billing-profile", org.slug, *args)
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    with database.transaction(write=False) as session:
        assert session.get(BillingProfile, org.id) is None


def _entries(database: Database, org_id: str) -> list[AuditEvent]:
    with database.transaction(write=False) as session:
        return list(session.scalars(
            select(AuditEvent).where(AuditEvent.org_id == org_id).order_by(AuditEvent.id)))


def test_203_oauth_clients_issued_and_revoked_on_the_cli_are_audited(
        run: Run, org: OrgRef, database: Database) -> None:
    issued = run("issue-client", org.slug, "--name", "entra")
    client_id = issued.output.split()[1]
    assert run("revoke-client", client_id).exit_code == 0
    assert run("revoke-client", client_id).exit_code == 0  # revoked once: one entry
    entries = [(e.action, e.actor, e.subject, e.subject_name) for e in _entries(database, org.id)]
    assert entries == [("oauth-client.issued", "cli", f"oauth-client:{client_id}", "entra"),
                       ("oauth-client.revoked", "cli", f"oauth-client:{client_id}", "entra")]


def test_208_sso_configuration_is_audited(run: Run, org: OrgRef, database: Database) -> None:
    result = run("configure-sso", org.slug, "--issuer", "https://idp.example.com/",
                 "--audience", "scim-seats", "--jwks-url", "https://idp.example.com/keys")
    assert result.exit_code == 0, result.output
    (entry,) = _entries(database, org.id)
    assert (entry.action, entry.actor, entry.subject) == (
        "sso.configured", "cli", "sso:https://idp.example.com/")
    assert entry.detail == "issuer https://idp.example.com/, audience scim-seats"
