"""SCIM tokens through the admin API: issued once, listed without secrets, revoked at once,
last use tracked to the minute, managed by admins only, and never across orgs."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from app.db import Database
from seats import credentials
from seats.clock import utcnow
from seats.models import ScimToken
from tests.api.admin_support import read, token_ids
from tests.support import Admin, Scim, assert_problem, assert_scim_error

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


TOKEN_FIELDS = {"id", "name", "created_at", "last_used_at", "revoked_at"}


def _issue(admin: Admin, name: str = "okta") -> dict:
    response = admin.post("/scim-tokens", {"name": name})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _listed(admin: Admin, token_id: str) -> dict:
    return next(t for t in read(admin, "/scim-tokens")["tokens"] if t["id"] == token_id)


def _scim_with(admin: Admin, secret: str) -> Scim:
    return Scim(client=admin.client, token=secret, org_id=admin.org_id)


@pytest.mark.parametrize("role", ["primary_owner", "admin"])
def test_managers_issue_a_token_that_works_for_scim(make_admin: Callable[..., Admin],
                                                   role: str) -> None:
    admin = make_admin(role=role)
    response = admin.post("/scim-tokens", {"name": "okta"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    created = response.get_json()
    assert set(created) == {"id", "name", "created_at", "token"}
    assert created["name"] == "okta" and created["token"].startswith("scs_")
    assert created["created_at"].endswith("Z")
    assert _scim_with(admin, created["token"]).get("/Users").status_code == 200


def test_list_never_shows_a_secret_or_its_hash(owner: Admin, database: Database) -> None:
    created = _issue(owner)
    response = owner.get("/scim-tokens")
    with database.transaction(write=False) as session:
        digest = session.get_one(ScimToken, created["id"]).secret_sha256
    text = response.get_data(as_text=True)
    assert created["token"] not in text and digest not in text
    tokens = response.get_json()["tokens"]
    assert all(set(token) == TOKEN_FIELDS for token in tokens)
    assert {t["name"] for t in tokens} == {"test", "okta"}
    created_at = [datetime.fromisoformat(t["created_at"]) for t in tokens]
    assert created_at == sorted(created_at)
    assert _listed(owner, created["id"]) == {
        "id": created["id"], "name": "okta", "created_at": created["created_at"],
        "last_used_at": None, "revoked_at": None,
    }


def test_revoked_token_is_refused_by_the_very_next_scim_request(owner: Admin) -> None:
    created = _issue(owner)
    scim = _scim_with(owner, created["token"])
    assert scim.get("/Users").status_code == 200
    assert owner.delete(f"/scim-tokens/{created['id']}").status_code == 204
    assert_scim_error(scim.get("/Users"), 401)
    revoked_at = _listed(owner, created["id"])["revoked_at"]
    assert revoked_at is not None
    assert owner.delete(f"/scim-tokens/{created['id']}").status_code == 204
    assert _listed(owner, created["id"])["revoked_at"] == revoked_at  # the first time stays
    assert owner.scim.get("/Users").status_code == 200  # the org's other token is untouched


def test_revoking_an_unknown_token_is_404(owner: Admin) -> None:
    assert_problem(owner.delete("/scim-tokens/no-such-token"), 404, "TOKEN_NOT_FOUND")


@pytest.mark.parametrize("body", [
    {}, {"name": ""}, {"name": "x" * 256}, {"name": 7}, {"name": "ok", "surprise": 1}, ["okta"],
    "okta",
])
def test_invalid_create_body_is_400_and_issues_nothing(owner: Admin, body: object) -> None:
    before = token_ids(owner)
    assert_problem(owner.post("/scim-tokens", body), 400, "INVALID_BODY")
    assert token_ids(owner) == before


def test_field_errors_are_named(owner: Admin) -> None:
    problem = assert_problem(owner.post("/scim-tokens", {"name": "", "x": 1}), 400, "INVALID_BODY")
    assert set(problem["errors"]) == {"name", "x"}
    assert problem["detail"].startswith("name: ")


def test_viewer_reads_tokens_but_cannot_issue_or_revoke(owner: Admin) -> None:
    viewer = owner.as_role("viewer")
    before = token_ids(owner)
    assert token_ids(viewer) == before
    assert_problem(viewer.post("/scim-tokens", {"name": "sneaky"}), 403, "FORBIDDEN")
    (token_id,) = before
    assert_problem(viewer.delete(f"/scim-tokens/{token_id}"), 403, "FORBIDDEN")
    assert token_ids(owner) == before
    assert _listed(owner, token_id)["revoked_at"] is None
    assert owner.scim.get("/Users").status_code == 200


def test_an_org_never_sees_or_revokes_another_orgs_tokens(make_admin: Callable[..., Admin]) -> None:
    org_a, org_b = make_admin(role="admin"), make_admin(role="admin")
    (b_token,) = token_ids(org_b)
    assert b_token not in token_ids(org_a)
    assert_problem(org_a.delete(f"/scim-tokens/{b_token}"), 404, "TOKEN_NOT_FOUND")
    assert _listed(org_b, b_token)["revoked_at"] is None
    assert org_b.scim.get("/Users").status_code == 200


def test_scim_use_sets_last_used_at_once_a_minute(owner: Admin) -> None:
    (token_id,) = token_ids(owner)
    start = utcnow()
    owner.scim.get("/Users")
    first = _listed(owner, token_id)["last_used_at"]
    assert start <= datetime.fromisoformat(first) <= utcnow()
    owner.scim.get("/Users")
    assert _listed(owner, token_id)["last_used_at"] == first


def test_touch_writes_only_when_the_last_use_is_over_a_minute_old(owner: Admin,
                                                                  database: Database) -> None:
    (token_id,) = token_ids(owner)
    t0 = utcnow()

    def touch_at(now: datetime) -> datetime | None:
        with database.transaction() as session:
            credentials.touch_token(session, token_id, now)
        with database.transaction(write=False) as session:
            return session.get_one(ScimToken, token_id).last_used_at

    assert touch_at(t0) == t0
    assert touch_at(t0 + timedelta(seconds=59)) == t0
    assert touch_at(t0 + timedelta(seconds=61)) == t0 + timedelta(seconds=61)
