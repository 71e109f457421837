"""The audit log as people read it (docs/spec/records.md, 201-208): entries keep the names
of who acted and whom it concerned as they were when written, credentials and settings
changes are audited next to seat changes, and both front ends filter by user through the
one query of app.read_models."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask

from tests.api.admin_support import read
from tests.api.test_console import (
    Console,
    make_console,  # noqa: F401  (the console client fixture)
)
from tests.support import Admin, patch_body, user_body

OWNER_EMAIL = "owner@example.com"  # the sub of tests.support.admin_token


def _entries(admin: Admin, **params: Any) -> list[dict[str, Any]]:
    return read(admin, "/audit", **params)["entries"]


def _rename(admin: Admin, user_id: str, user_name: str) -> None:
    response = admin.scim.patch(f"/Users/{user_id}", patch_body(
        {"op": "replace", "path": "userName", "value": user_name}))
    assert response.status_code == 200, response.get_data(as_text=True)


def test_201_seat_entries_name_the_token_and_the_user(make_admin: Callable[..., Admin]) -> None:
    """201: the token's name and the userName, beside their ids."""
    admin = make_admin(seats=1)
    ada = admin.scim.create("Ada@example.com")["id"]
    assert admin.scim.post("/Users", user_body("bob@example.com")).status_code == 403
    claimed, refused = _entries(admin)
    assert claimed["subject"] == f"user:{ada}" and claimed["subject_name"] == "Ada@example.com"
    assert claimed["actor"].startswith("scim-token:") and claimed["actor_name"] == "test"
    assert refused["action"] == "seat.refused"
    assert refused["subject_name"] == "bob@example.com" and refused["actor_name"] == "test"


def test_202_names_survive_a_rename_and_a_deletion(make_admin: Callable[..., Admin]) -> None:
    """202: an entry reads as it did when written."""
    admin = make_admin(seats=2)
    ada = admin.scim.create("ada@example.com")["id"]
    _rename(admin, ada, "ada.lovelace@example.com")
    assert admin.scim.delete(f"/Users/{ada}").status_code == 204
    claimed, released = _entries(admin)
    assert claimed["subject_name"] == "ada@example.com"
    assert released["subject_name"] == "ada.lovelace@example.com"
    assert [e["action"] for e in _entries(admin, user="ADA@example.com")] == ["seat.claimed"]
    assert len(_entries(admin, user=ada)) == 2


def test_203_token_issue_and_revocation_are_audited_with_the_admins_email(owner: Admin) -> None:
    """203: who issued or revoked which token, by name; no secret in the log."""
    created = owner.post("/scim-tokens", {"name": "okta"}).get_json()
    assert owner.delete(f"/scim-tokens/{created['id']}").status_code == 204
    assert owner.delete(f"/scim-tokens/{created['id']}").status_code == 204  # no second entry
    issued, revoked = _entries(owner)
    assert (issued["action"], revoked["action"]) == ("scim-token.issued", "scim-token.revoked")
    for entry in (issued, revoked):
        assert entry["actor"] == f"admin:{OWNER_EMAIL}" and entry["actor_name"] == OWNER_EMAIL
        assert entry["subject"] == f"scim-token:{created['id']}" and entry["subject_name"] == "okta"
        assert entry["total_before"] == entry["total_after"] == 5
    assert created["token"] not in str(_entries(owner))


def test_204_alert_changes_are_audited_without_the_secret(owner: Admin) -> None:
    """204: before and after, and only that the secret changed."""
    secret = "s" * 40
    body = {"threshold_percent": 75, "webhook_url": "https://hooks.example.com/seats",
            "webhook_secret": secret}
    assert owner.put("/alerts", body).status_code == 200
    (entry,) = _entries(owner, action="alerts.changed")
    assert entry["actor_name"] == OWNER_EMAIL
    assert entry["detail"] == ("threshold 90% → 75%; webhook none → "
                               "https://hooks.example.com/seats; webhook secret replaced")
    assert secret not in str(_entries(owner))


def test_204_saving_the_same_alert_settings_again_writes_no_second_entry(owner: Admin) -> None:
    """204: an entry says what changed; a repeated PUT changes nothing."""
    body = {"threshold_percent": 75, "webhook_url": None}
    assert owner.put("/alerts", body).status_code == 200
    assert owner.put("/alerts", body).status_code == 200
    (entry,) = _entries(owner, action="alerts.changed")
    assert entry["detail"] == "threshold 90% → 75%; webhook none → none"


def test_204_a_refused_settings_change_writes_no_entry(owner: Admin) -> None:
    """204: nothing changed, nothing audited."""
    bad = {"threshold_percent": 90, "webhook_url": "https://hooks.example.com/seats"}
    assert owner.put("/alerts", bad).status_code == 400
    assert _entries(owner) == []


def test_205_the_user_filter_matches_users_only(owner: Admin) -> None:
    """205: a token named like a user is not that user."""
    owner.scim.create("okta")
    owner.post("/scim-tokens", {"name": "okta"})
    entries = _entries(owner, user="OKTA")
    assert [e["action"] for e in entries] == ["seat.claimed"]
    assert _entries(owner, user="nobody") == []
    assert [e["action"] for e in _entries(owner, user="okta", action="seat.released")] == []


def test_205_the_user_filter_is_checked(owner: Admin) -> None:
    for bad in ("", "x" * 2049, "a\x00b"):
        response = owner.get("/audit", user=bad)
        assert response.status_code == 400, bad


def test_206_the_console_shows_names_and_filters_by_user(
        make_console: Callable[..., Console]) -> None:  # noqa: F811
    """206: the console reads the same query as the API."""
    console = make_console("admin", seats=1)
    ada = console.admin.scim.create("ada@example.com")["id"]
    console.admin.scim.create("bob@example.com", active=False)
    assert console.post("/tokens", {"name": "entra"}).status_code == 201
    page = console.client.get("/console/audit").get_data(as_text=True)
    assert "ada@example.com" in page and f"user:{ada}" in page
    assert "entra" in page and OWNER_EMAIL in page and ">test<" in _squeeze(page)
    only_ada = console.client.get("/console/audit?user=ADA@example.com").get_data(as_text=True)
    assert "<code>seat.claimed</code>" in only_ada
    assert "<code>scim-token.issued</code>" not in only_ada
    assert 'value="ADA@example.com"' in only_ada


def _squeeze(html: str) -> str:
    return re.sub(r"\s+", "", html)


def test_207_old_entries_without_names_show_their_ids(app: Flask, owner: Admin) -> None:
    """207: entries written before names were kept read as before."""
    from seats.models import AuditEvent

    owner.scim.create("ada@example.com")
    with app.extensions["db"].transaction() as session:
        entry = session.query(AuditEvent).filter_by(org_id=owner.org_id).one()
        entry.actor_name = entry.subject_name = None
    (read_back,) = _entries(owner)
    assert read_back["actor_name"] is None and read_back["subject"].startswith("user:")
