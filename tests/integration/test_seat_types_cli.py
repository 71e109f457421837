"""The operator's seat type commands (docs/spec/seat-types.md, edge case 63): a newcomer
creates an org with two seat types, maps an IdP group to premium and watches its member
move; `seats` prints one line per type."""
from __future__ import annotations

import uuid

import pytest

from app.db import Database
from scim import groups, users
from seats import orgs
from tests.conftest import MID_TERM_START, NOW
from tests.support import assert_seat_invariant

pytestmark = pytest.mark.date_sensitive  # seat claims need a running term




def test_edge_63_two_types_from_the_cli_and_a_mapped_group_moves_its_member(
    run, database: Database,
) -> None:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    assert run("create-org", slug, "--seats", "3",
               "--term-start", MID_TERM_START.isoformat()).exit_code == 0
    added = run("seat-type", "add", slug, "premium", "--name", "Premium",
                "--price-minor", "60000", "--seats", "1", "--rank", "10")
    assert added.exit_code == 0, added.output
    with database.transaction() as session:
        org_id = orgs.org_by_slug(session, slug).id
        ctx = users.WriteContext(org_id=org_id, actor="idp", now=NOW)
        ada = users.create_user(session, {"userName": "ada"}, ctx).id
        bob = users.create_user(session, {"userName": "bob"}, ctx).id
        groups.create_group(session, {"displayName": "Engineers",
                                      "members": [{"value": ada}, {"value": bob}]}, ctx)
    mapped = run("seat-type", "map", slug, "engineers", "premium")
    assert mapped.exit_code == 0, mapped.output
    assert run("seats", slug).output.splitlines() == [
        "total 4 / assigned 2 / free 2",
        "premium: total 1 / assigned 1 / free 0 / waiting 1",
        "standard (default): total 3 / assigned 1 / free 2 / waiting 0",
    ]
    assert_seat_invariant(database, org_id)
    assert run("seat-type", "unmap", slug, "Engineers").exit_code == 0
    assert run("seats", slug).output.splitlines()[1:] == [
        "premium: total 1 / assigned 0 / free 1 / waiting 0",
        "standard (default): total 3 / assigned 2 / free 1 / waiting 0",
    ]


@pytest.mark.parametrize("args, message", [
    (("add", "{slug}", "standard", "--name", "Again", "--price-minor", "1"), "already exists"),
    (("add", "{slug}", "Pre mium", "--name", "P", "--price-minor", "1"), "lower-case"),
    (("map", "{slug}", "No such group", "standard"), "no group named"),
    (("add", "nope-org", "premium", "--name", "P", "--price-minor", "1"), "no organisation"),
])
def test_seat_type_commands_refuse_bad_input_in_one_line(run, args, message) -> None:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    assert run("create-org", slug, "--seats", "1").exit_code == 0
    result = run("seat-type", *(a.format(slug=slug) for a in args))
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and message in result.output
    assert run("seats", slug).output.strip() == "total 1 / assigned 0 / free 1"
