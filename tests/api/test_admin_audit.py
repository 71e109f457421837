"""The audit log through the admin API: the seat changes SCIM caused, in id order, tailable
with `after`, filterable by action, and private to each org."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.admin_support import read
from tests.support import Admin, assert_problem, patch_body, user_body

ENTRY_FIELDS = {"id", "at", "actor", "actor_name", "action", "subject", "subject_name",
                "total_before", "total_after", "assigned_before", "assigned_after", "detail"}


def _deactivate(admin: Admin, user_id: str) -> None:
    response = admin.scim.patch(f"/Users/{user_id}", patch_body(
        {"op": "replace", "path": "active", "value": False}))
    assert response.status_code == 200


def _claim_release_refuse(admin: Admin) -> str:
    """On a one-seat org: a claim, a release, a claim, then a refusal. Returns the id of
    the user who holds the seat at the end."""
    _deactivate(admin, admin.scim.create("first")["id"])
    seated = admin.scim.create("second")["id"]
    assert admin.scim.post("/Users", user_body("third")).status_code == 403
    return seated


def test_entries_record_who_did_what_with_counts(make_admin: Callable[..., Admin]) -> None:
    admin = make_admin(seats=1, role="admin")
    _claim_release_refuse(admin)
    entries = read(admin, "/audit")["entries"]
    assert [e["action"] for e in entries] == [
        "seat.claimed", "seat.released", "seat.claimed", "seat.refused"]
    assert all(set(e) == ENTRY_FIELDS for e in entries)
    assert [e["id"] for e in entries] == sorted(e["id"] for e in entries)
    claimed, released, _, refused = entries
    assert claimed["actor"].startswith("scim-token:") and claimed["subject"]
    assert (claimed["assigned_before"], claimed["assigned_after"]) == (0, 1)
    assert (released["assigned_before"], released["assigned_after"]) == (1, 0)
    assert claimed["total_before"] == claimed["total_after"] == 1
    assert refused["detail"] and claimed["detail"] is None
    assert all(e["at"].endswith("Z") and "+" not in e["at"] for e in entries)


def test_after_pages_through_the_log_and_stays_put_at_the_end(
        make_admin: Callable[..., Admin]) -> None:
    admin = make_admin(seats=1)
    seated = _claim_release_refuse(admin)
    every = [e["id"] for e in read(admin, "/audit")["entries"]]
    seen, after = [], 0
    for _ in every:
        page = read(admin, "/audit", after=after, limit=1)
        seen += [e["id"] for e in page["entries"]]
        after = page["next_after"]
    assert seen == every
    end = read(admin, "/audit", after=after)
    assert end == {"entries": [], "next_after": after}
    admin.scim.create("later", active=False)  # no seat change, no entry
    _deactivate(admin, seated)
    assert [e["action"] for e in read(admin, "/audit", after=after)["entries"]] == ["seat.released"]


def test_action_filter(make_admin: Callable[..., Admin]) -> None:
    admin = make_admin(seats=1)
    _claim_release_refuse(admin)
    claims = read(admin, "/audit", action="seat.claimed")["entries"]
    assert [e["action"] for e in claims] == ["seat.claimed", "seat.claimed"]
    assert read(admin, "/audit", action="no.such.action")["entries"] == []


@pytest.mark.parametrize("params", [
    {"after": "-1"}, {"after": "last"}, {"limit": "0"}, {"limit": "501"}, {"action": ""},
])
def test_bad_parameters_are_400(owner: Admin, params: dict[str, str]) -> None:
    problem = assert_problem(owner.get("/audit", **params), 400, "INVALID_QUERY")
    assert set(problem["errors"]) == set(params)


def test_viewer_reads_the_log(owner: Admin) -> None:
    owner.scim.create("someone")
    entries = read(owner.as_role("viewer"), "/audit")["entries"]
    assert [e["action"] for e in entries] == ["seat.claimed"]


def test_an_org_never_sees_another_orgs_entries(make_admin: Callable[..., Admin]) -> None:
    org_a, org_b = make_admin(role="admin"), make_admin(role="admin")
    org_a.scim.create("a1")
    org_b.scim.create("b1")
    org_a.scim.create("a2")
    a_entries = read(org_a, "/audit")["entries"]
    b_entries = read(org_b, "/audit")["entries"]
    assert len(a_entries) == 2 and len(b_entries) == 1
    assert not {e["id"] for e in a_entries} & {e["id"] for e in b_entries}
    assert read(org_a, "/audit", after=a_entries[0]["id"])["entries"] == a_entries[1:]
