"""The `request` pool-full policy (docs/spec/pool-full-policies.md, edge cases 410-421): an
SSO sign-in with no free seat queues a seat request instead of a dead end; admins approve
(seating the person at once) or deny it through the admin API; requests expire."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from app.db import Database
from app.settings import Settings, SettingsError
from seats.models import OutboxEvent, SeatRequest
from tests.api import test_sso
from tests.api.test_sso import SsoOrg
from tests.conftest import NOW
from tests.support import Admin, admin_token, assert_problem, assert_seat_invariant, snapshot

pytestmark = pytest.mark.date_sensitive  # requests expire; claims need a running term
make_sso = test_sso.make_sso  # the fixture: an org whose SSO trusts a test IdP


def admin_of(sso: SsoOrg, role: str = "primary_owner", sub: str = "owner@example.com",
             now: datetime = NOW) -> Admin:
    app: Flask = sso.client.application
    return Admin(client=sso.client, token=admin_token(app, sso.slug, role, sub, now),
                 scim=sso.scim)


def full_org(make_sso: Callable[..., SsoOrg], policy: str = "request", seats: int = 1) -> SsoOrg:
    sso = make_sso(seats=seats)
    for i in range(seats):
        sso.scim.create(f"seated{i}@example.com")
    response = admin_of(sso).put("/seats/policy", {"policy": policy})
    assert response.status_code == 200, response.get_json()
    return sso


def ask(sso: SsoOrg, email: str = "new@example.com", **claims: Any) -> Any:
    return sso.sign_in(sso.idp.token(email=email, **claims))


def requests_of(database: Database, org_id: str) -> list[SeatRequest]:
    with database.transaction(write=False) as session:
        return list(session.scalars(select(SeatRequest).where(SeatRequest.org_id == org_id)
                                    .order_by(SeatRequest.requested_at)))


def requested_events(database: Database, org_id: str) -> list[dict[str, Any]]:
    with database.transaction(write=False) as session:
        return [e.payload for e in session.scalars(select(OutboxEvent).where(
            OutboxEvent.org_id == org_id, OutboxEvent.event_type == "seats.requested"))]


def test_edge_410_a_sign_in_with_no_free_seat_is_queued(make_sso: Callable[..., SsoOrg],
                                                        database: Database) -> None:
    sso = full_org(make_sso)
    before = snapshot(database, sso.org_id)
    response = ask(sso, given_name="Ada")
    assert response.status_code == 202, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "seat_requested" and body["userName"] == "new@example.com"
    assert "administrator has been asked" in body["message"]
    after = snapshot(database, sso.org_id)
    assert (after.users, after.total, after.assigned) == (before.users, before.total, before.assigned)
    assert after.audit[-1] == ("seat.requested", "userName:new@example.com")
    found = admin_of(sso).get("/audit", user="NEW@example.com").get_json()
    assert found["entries"][-1]["detail"] == f"request {body['request_id']}"
    [row] = requests_of(database, sso.org_id)
    assert row.status == "open" and row.identity["given_name"] == "Ada"
    assert row.expires_at - row.requested_at == timedelta(hours=168)
    [event] = requested_events(database, sso.org_id)
    assert event["request_id"] == row.id and event["pending"] == 1
    assert "new@example.com" not in str(event)  # events never carry names


def test_edge_411_a_browser_sees_a_page_saying_the_admin_was_asked(
    make_sso: Callable[..., SsoOrg]
) -> None:
    sso = full_org(make_sso)
    response = sso.client.post(f"/sso/v1/orgs/{sso.slug}/signin",
                               json={"id_token": sso.idp.token(email="new@example.com")},
                               headers={"Accept": "text/html"})
    assert response.status_code == 202 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Your administrator has been asked for a seat" in page
    assert "new@example.com" in page and "sign in again" in page


def test_edge_412_signing_in_again_does_not_pile_up_requests(
    make_sso: Callable[..., SsoOrg], database: Database
) -> None:
    sso = full_org(make_sso)
    first = ask(sso).get_json()["request_id"]
    again = ask(sso, email="NEW@example.com").get_json()["request_id"]
    assert again == first
    assert len(requests_of(database, sso.org_id)) == 1
    assert len(requested_events(database, sso.org_id)) == 1


def test_edge_413_under_refuse_the_sign_in_is_refused_as_before(
    make_sso: Callable[..., SsoOrg], database: Database
) -> None:
    sso = full_org(make_sso, policy="refuse")
    response = ask(sso)
    assert response.status_code == 403 and response.get_json()["error"] == "access_denied"
    assert requests_of(database, sso.org_id) == []


def test_edge_414_the_queue_and_an_approval_that_seats_the_person(
    make_sso: Callable[..., SsoOrg], database: Database
) -> None:
    sso = full_org(make_sso)
    request_id = ask(sso).get_json()["request_id"]
    admin = admin_of(sso, "admin", "admin@example.com")
    queue = admin.get("/seat-requests").get_json()
    assert queue["pending"] == 1 and queue["requests"][0]["userName"] == "new@example.com"
    assert_problem(admin.post(f"/seat-requests/{request_id}/approve", {}), 409,
                   "SEAT_LIMIT_REACHED")  # no free seat: nothing changed
    assert requests_of(database, sso.org_id)[0].status == "open"
    sso.scim.delete(f"/Users/{sso.scim.get('/Users').get_json()['Resources'][0]['id']}")
    approved = admin.post(f"/seat-requests/{request_id}/approve", {})
    assert approved.status_code == 200, approved.get_json()
    body = approved.get_json()
    assert body["status"] == "approved" and body["decided_by"] == "admin:admin@example.com"
    assert admin.get("/seat-requests").get_json() == {"pending": 0, "requests": []}
    signed_in = ask(sso)
    assert signed_in.status_code == 200, signed_in.get_json()
    assert signed_in.get_json()["user_id"] == body["user_id"]
    assert len(requests_of(database, sso.org_id)) == 1  # no second request
    actions = [action for action, _ in snapshot(database, sso.org_id).audit]
    assert actions[-2:] == ["seat.claimed", "seat-request.approved"]
    assert_seat_invariant(database, sso.org_id)


def test_edge_415_deny_closes_the_request(make_sso: Callable[..., SsoOrg],
                                          database: Database) -> None:
    sso = full_org(make_sso)
    request_id = ask(sso).get_json()["request_id"]
    owner = admin_of(sso)
    denied = owner.post(f"/seat-requests/{request_id}/deny", {})
    assert denied.status_code == 200 and denied.get_json()["status"] == "denied"
    assert_problem(owner.post(f"/seat-requests/{request_id}/approve", {}), 409,
                   "SEAT_REQUEST_CLOSED")
    assert owner.get("/seat-requests").get_json()["pending"] == 0
    assert ask(sso).get_json()["request_id"] != request_id  # asking again opens a new one


def test_edge_416_an_expired_request_leaves_the_queue_and_cannot_be_approved(
    make_sso: Callable[..., SsoOrg], database: Database
) -> None:
    sso = full_org(make_sso)
    request_id = ask(sso).get_json()["request_id"]
    with database.transaction(write=False) as session:
        lapsed = session.get_one(SeatRequest, request_id).expires_at + timedelta(seconds=1)
    with time_machine.travel(lapsed):
        owner = admin_of(sso, now=lapsed)
        assert owner.get("/seat-requests").get_json()["pending"] == 0
        body = assert_problem(owner.post(f"/seat-requests/{request_id}/approve", {}), 409,
                              "SEAT_REQUEST_CLOSED")
        assert "expired" in body["detail"]
        fresh = ask(sso).get_json()["request_id"]
    assert fresh != request_id
    assert [r.status for r in requests_of(database, sso.org_id)] == ["expired", "open"]


def test_edge_417_viewers_read_the_queue_but_do_not_decide(
    make_sso: Callable[..., SsoOrg], database: Database
) -> None:
    sso = full_org(make_sso)
    request_id = ask(sso).get_json()["request_id"]
    viewer = admin_of(sso, "viewer", "viewer@example.com")
    assert viewer.get("/seat-requests").get_json()["pending"] == 1
    assert_problem(viewer.post(f"/seat-requests/{request_id}/deny", {}), 403, "FORBIDDEN")
    assert_problem(viewer.post("/seat-requests/nope/approve", {}), 403, "FORBIDDEN")
    assert_problem(admin_of(sso).post("/seat-requests/nope/approve", {}), 404,
                   "SEAT_REQUEST_NOT_FOUND")
    assert requests_of(database, sso.org_id)[0].status == "open"


def test_edge_418_the_ttl_is_configurable(make_sso: Callable[..., SsoOrg], app: Flask,
                                          database: Database) -> None:
    sso = full_org(make_sso)
    assert Settings.from_env({"SCIM_DEV": "1", "SCIM_SEAT_REQUEST_TTL_HOURS": "2"}) \
        .seat_request_ttl_hours == 2
    with pytest.raises(SettingsError, match="SCIM_SEAT_REQUEST_TTL_HOURS must be 1 or more"):
        Settings.from_env({"SCIM_DEV": "1", "SCIM_SEAT_REQUEST_TTL_HOURS": "0"})
    settings = app.extensions["settings"]
    app.extensions["settings"] = replace(settings, seat_request_ttl_hours=2)
    try:
        ask(sso)
    finally:
        app.extensions["settings"] = settings
    [row] = requests_of(database, sso.org_id)
    assert row.expires_at - row.requested_at == timedelta(hours=2)


def test_under_auto_top_up_a_first_sign_in_buys_its_seat(make_sso: Callable[..., SsoOrg],
                                                          database: Database) -> None:
    """The SSO sign-in claims through the same seat claim as SCIM, so it buys too."""
    sso = make_sso(seats=1)
    sso.scim.create("seated@example.com")
    response = admin_of(sso).put("/seats/policy", {"policy": "auto_top_up", "max_auto_seats": 1})
    assert response.status_code == 200
    assert ask(sso).status_code == 200
    assert ask(sso, email="later@example.com").status_code == 403  # past the cap
    state = snapshot(database, sso.org_id)
    assert (state.total, state.assigned) == (2, 2)
    assert requests_of(database, sso.org_id) == []
