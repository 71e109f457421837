"""The spec's numbered edge cases on the SCIM path (spec/seats.md). Each refused write is
checked for its response AND for what it left behind: nothing but one audit entry."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from app.db import Database
from seats.models import Contract
from tests.support import (
    Scim,
    assert_scim_error,
    assert_seat_invariant,
    patch_body,
    snapshot,
    user_body,
)

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


def _fill(scim: Scim, seats: int) -> list[dict]:
    return [scim.create(f"seated{i}") for i in range(seats)]


def _assert_refused_and_unchanged(database: Database, scim: Scim, before, response) -> None:
    body = assert_scim_error(response, 403)
    assert body["detail"].startswith("SEAT_LIMIT_REACHED: all ")
    assert len(body["detail"]) < 250
    assert "scimType" not in body
    assert "Retry-After" not in response.headers
    after = snapshot(database, scim.org_id)
    assert after.users == before.users
    assert after.values == before.values
    assert (after.total, after.assigned) == (before.total, before.assigned)
    assert after.audit[: len(before.audit)] == before.audit
    assert [a for a, _ in after.audit[len(before.audit):]] == ["seat.refused"]
    assert_seat_invariant(database, scim.org_id)


def test_edge_01_post_active_user_with_no_free_seat_is_403(make_scim: Callable[..., Scim], database: Database) -> None:
    scim = make_scim(seats=2)
    _fill(scim, 2)
    before = snapshot(database, scim.org_id)
    response = scim.post("/Users", user_body("late", emails=[{"value": "l@x.example"}]))
    _assert_refused_and_unchanged(database, scim, before, response)
    assert response.get_json()["detail"].startswith("SEAT_LIMIT_REACHED: all 2 of 2 seats are assigned.")


def test_edge_03_post_inactive_user_with_no_free_seat_is_201(make_scim: Callable[..., Scim], database: Database) -> None:
    scim = make_scim(seats=1)
    _fill(scim, 1)
    body = scim.create("parked", active=False)
    assert body["active"] is False
    state = snapshot(database, scim.org_id)
    assert (state.total, state.assigned) == (1, 1)
    assert_seat_invariant(database, scim.org_id)


def test_edge_04_duplicate_user_name_with_no_free_seat_is_409_not_403(make_scim: Callable[..., Scim], database: Database) -> None:
    scim = make_scim(seats=1)
    scim.create("Taken@Example.com")
    before = snapshot(database, scim.org_id)
    assert_scim_error(scim.post("/Users", user_body("taken@example.COM")), 409, "uniqueness")
    assert snapshot(database, scim.org_id) == before


def test_edge_05_patch_activation_with_no_free_seat_applies_nothing(make_scim: Callable[..., Scim], database: Database) -> None:
    scim = make_scim(seats=1)
    _fill(scim, 1)
    parked = scim.create("parked", active=False, title="Old")
    before = snapshot(database, scim.org_id)
    response = scim.patch(
        f"/Users/{parked['id']}",
        patch_body(
            {"op": "replace", "path": "title", "value": "New"},
            {"op": "replace", "path": "active", "value": True},
        ),
    )
    _assert_refused_and_unchanged(database, scim, before, response)
    assert scim.get(f"/Users/{parked['id']}").get_json()["title"] == "Old"


def test_edge_06_put_activation_with_no_free_seat_leaves_user_unchanged(make_scim: Callable[..., Scim], database: Database) -> None:
    scim = make_scim(seats=1)
    _fill(scim, 1)
    parked = scim.create("parked", active=False, title="Old")
    before = snapshot(database, scim.org_id)
    response = scim.put(f"/Users/{parked['id']}", user_body("parked", active=True, title="New"))
    _assert_refused_and_unchanged(database, scim, before, response)


def test_edge_07_patch_active_true_on_active_user_with_full_pool_is_200(make_scim: Callable[..., Scim], database: Database) -> None:
    scim = make_scim(seats=1)
    (user,) = _fill(scim, 1)
    response = scim.patch(f"/Users/{user['id']}", patch_body({"op": "replace", "path": "active", "value": True}))
    assert response.status_code == 200
    state = snapshot(database, scim.org_id)
    assert state.assigned == 1
    assert_seat_invariant(database, scim.org_id)


def test_edge_08_put_without_active_keeps_it_and_changes_no_seat(make_scim: Callable[..., Scim], database: Database) -> None:
    scim = make_scim(seats=2)
    active = scim.create("on")
    parked = scim.create("off", active=False)
    before = snapshot(database, scim.org_id)
    assert scim.put(f"/Users/{active['id']}", user_body("on", title="t")).get_json()["active"] is True
    assert scim.put(f"/Users/{parked['id']}", user_body("off", title="t")).get_json()["active"] is False
    after = snapshot(database, scim.org_id)
    assert (after.total, after.assigned) == (before.total, before.assigned)
    assert after.audit == before.audit


def test_edge_09_patch_deactivation_frees_one_seat(make_scim: Callable[..., Scim], database: Database) -> None:
    scim = make_scim(seats=2)
    user = scim.create("leaver")
    response = scim.patch(f"/Users/{user['id']}", patch_body({"op": "replace", "path": "active", "value": False}))
    assert response.status_code == 200 and response.get_json()["active"] is False
    state = snapshot(database, scim.org_id)
    assert state.assigned == 0
    assert [a for a, _ in state.audit] == ["seat.claimed", "seat.released"]


def test_edge_10_patch_deactivation_of_inactive_user_changes_nothing(make_scim: Callable[..., Scim], database: Database) -> None:
    scim = make_scim(seats=1)
    parked = scim.create("parked", active=False)
    before = snapshot(database, scim.org_id)
    response = scim.patch(f"/Users/{parked['id']}", patch_body({"op": "replace", "path": "active", "value": False}))
    assert response.status_code == 200
    after = snapshot(database, scim.org_id)
    assert (after.assigned, after.audit) == (before.assigned, before.audit)


def test_edge_11_delete_frees_the_seat_and_the_name_needs_a_seat_again(make_scim: Callable[..., Scim], database: Database) -> None:
    scim = make_scim(seats=1)
    user = scim.create("returning")
    assert scim.delete(f"/Users/{user['id']}").status_code == 204
    assert snapshot(database, scim.org_id).assigned == 0
    scim.create("filler")
    before = snapshot(database, scim.org_id)
    _assert_refused_and_unchanged(database, scim, before, scim.post("/Users", user_body("returning")))


def test_edge_12_get_inactive_user_shows_active_false(scim: Scim) -> None:
    parked = scim.create("parked", active=False)
    assert scim.get(f"/Users/{parked['id']}").get_json()["active"] is False


def test_edge_13_activation_before_deactivation_is_refused_then_retry_succeeds(make_scim: Callable[..., Scim], database: Database) -> None:
    scim = make_scim(seats=1)
    a = scim.create("a")
    b = scim.create("b", active=False)
    before = snapshot(database, scim.org_id)
    activate_b = patch_body({"op": "replace", "path": "active", "value": True})
    _assert_refused_and_unchanged(database, scim, before, scim.patch(f"/Users/{b['id']}", activate_b))
    assert scim.patch(f"/Users/{a['id']}", patch_body({"op": "replace", "path": "active", "value": False})).status_code == 200
    assert scim.patch(f"/Users/{b['id']}", activate_b).status_code == 200
    assert_seat_invariant(database, scim.org_id)


def test_edge_15_profile_update_of_inactive_user_with_full_pool_is_200(make_scim: Callable[..., Scim], database: Database) -> None:
    scim = make_scim(seats=1)
    _fill(scim, 1)
    parked = scim.create("parked", active=False)
    response = scim.patch(f"/Users/{parked['id']}", patch_body({"op": "replace", "path": "title", "value": "Boss"}))
    assert response.status_code == 200 and response.get_json()["title"] == "Boss"
    response = scim.put(f"/Users/{parked['id']}", user_body("parked", active=False, nickName="P"))
    assert response.status_code == 200
    assert_seat_invariant(database, scim.org_id)


def test_edge_38_expired_contract_refuses_activation_but_not_deactivation(make_scim: Callable[..., Scim], database: Database) -> None:
    scim = make_scim(seats=3, auto_renew=False)
    seated = scim.create("seated")
    parked = scim.create("parked", active=False)
    with database.transaction() as session:  # the term ends: move its start two years back
        session.get_one(Contract, scim.org_id).term_start = date(2020, 1, 1)
    before = snapshot(database, scim.org_id)
    body = assert_scim_error(scim.post("/Users", user_body("new")), 403)
    assert body["detail"].startswith("NO_ACTIVE_SUBSCRIPTION:")
    activate = patch_body({"op": "replace", "path": "active", "value": True})
    assert_scim_error(scim.patch(f"/Users/{parked['id']}", activate), 403)
    after = snapshot(database, scim.org_id)
    assert after.users == before.users and after.assigned == before.assigned
    assert scim.get(f"/Users/{parked['id']}").status_code == 200
    deactivate = patch_body({"op": "replace", "path": "active", "value": False})
    assert scim.patch(f"/Users/{seated['id']}", deactivate).status_code == 200
    assert scim.delete(f"/Users/{parked['id']}").status_code == 204
    assert_seat_invariant(database, scim.org_id)


def test_edge_40_changing_user_name_or_emails_of_active_user_changes_no_seat(make_scim: Callable[..., Scim], database: Database) -> None:
    scim = make_scim(seats=1)
    (user,) = _fill(scim, 1)
    before = snapshot(database, scim.org_id)
    response = scim.patch(
        f"/Users/{user['id']}",
        patch_body(
            {"op": "replace", "path": "userName", "value": "renamed"},
            {"op": "add", "path": "emails", "value": [{"value": "r@x.example", "type": "work"}]},
        ),
    )
    assert response.status_code == 200
    after = snapshot(database, scim.org_id)
    assert (after.assigned, after.audit) == (before.assigned, before.audit)


def test_edge_14_refused_users_are_not_created_later_by_themselves(make_scim: Callable[..., Scim], database: Database) -> None:
    """Edge 14: refused users are not created by themselves; the IdP's retry is what works."""
    scim = make_scim(seats=1)
    (holder,) = _fill(scim, 1)
    assert scim.post("/Users", user_body("waiting")).status_code == 403
    scim.delete(f"/Users/{holder['id']}")
    assert scim.get("/Users", filter='userName eq "waiting"').get_json()["totalResults"] == 0
    assert scim.post("/Users", user_body("waiting")).status_code == 201
    assert_seat_invariant(database, scim.org_id)


def test_patch_remove_active_unassigns_it_and_frees_the_seat(make_scim: Callable[..., Scim], database: Database) -> None:
    """RFC 7644 §3.5.2.2 removal of `active`: the attribute becomes unassigned. A seat is
    never held on an unassigned status, so this is a deactivation."""
    scim = make_scim(seats=1)
    user = scim.create("leaving")
    response = scim.patch(f"/Users/{user['id']}", patch_body({"op": "remove", "path": "active"}))
    assert response.status_code == 200
    assert "active" not in response.get_json()
    assert snapshot(database, scim.org_id).assigned == 0
    assert_seat_invariant(database, scim.org_id)


@pytest.mark.parametrize("key", ["active ", "ACTIVE\\t", "urn:ietf:params:scim:schemas:core:2.0:User:active\\n"])
def test_patch_value_keys_with_stray_whitespace_still_take_the_seat_lock(
    make_scim: Callable[..., Scim], database: Database, key: str
) -> None:
    """The PATCH engine strips keys; the lock decision must see them the same way."""
    scim = make_scim(seats=1)
    user = scim.create("spacey")
    body = patch_body({"op": "replace", "value": {key.encode().decode("unicode_escape"): False}})
    response = scim.patch(f"/Users/{user['id']}", body)
    assert response.status_code == 200, response.get_json()
    assert snapshot(database, scim.org_id).assigned == 0
    assert_seat_invariant(database, scim.org_id)


def test_a_refusal_after_term_end_records_the_renewed_counts(
    make_scim: Callable[..., Scim], database: Database
) -> None:
    scim = make_scim(seats=10)
    for i in range(5):
        scim.create(f"u{i}")
    with database.transaction() as session:
        session.get_one(Contract, scim.org_id).term_start = date(2024, 1, 1)
    response = scim.post("/Users", user_body("newcomer"))
    assert response.status_code == 403  # renewed at the 5 seats in use: none free
    state = snapshot(database, scim.org_id)
    assert (state.total, state.assigned) == (5, 5)
    assert state.audit[-1][0] == "seat.refused"
    assert "term.renewed" in [action for action, _ in state.audit]
