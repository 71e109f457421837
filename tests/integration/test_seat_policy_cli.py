"""`scim-seats seat-policy` prints the org's pool-full policy or sets it, with the admin API's
rules, audited under the actor `cli` (docs/spec/pool-full-policies.md, edge case 403)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db import Database
from seats.models import AuditEvent, SeatPolicy
from tests.conftest import OrgRef
from tests.integration.conftest import Run

pytestmark = pytest.mark.date_sensitive  # the CLI is in the date matrix





def test_edge_403_the_cli_prints_and_sets_the_policy_audited(run: Run, org: OrgRef,
                                                             database: Database) -> None:
    assert run("seat-policy", org.slug).output == f"{org.slug}: refuse\n"
    result = run("seat-policy", org.slug, "--policy", "auto_top_up", "--max-auto-seats", "10")
    assert result.exit_code == 0, result.output
    assert result.output == (f"{org.slug}: auto_top_up (at most 10 seats per term); "
                             "0 bought this term\n")
    with database.transaction(write=False) as session:
        entry = session.scalars(select(AuditEvent).where(AuditEvent.org_id == org.id)).one()
    assert (entry.action, entry.actor) == ("seat-policy.changed", "cli")
    assert entry.detail == "refuse → auto_top_up (at most 10 seats per term)"


@pytest.mark.parametrize("args", [
    ("--policy", "auto_top_up"),
    ("--policy", "everything"),
    ("--policy", "auto_top_up", "--max-auto-seats", "-1"),
])
def test_edge_403_the_cli_refuses_a_bad_policy(run: Run, org: OrgRef, database: Database,
                                               args: tuple[str, ...]) -> None:
    result = run("seat-policy", org.slug, *args)
    assert result.exit_code != 0, result.output
    with database.transaction(write=False) as session:
        assert session.get(SeatPolicy, org.id) is None
