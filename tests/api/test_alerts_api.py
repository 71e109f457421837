"""GET/PUT /admin/v1/alerts: who may change them, what is refused, and that the webhook
secret is write-only."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from app.db import Database
from seats.models import AlertSettings, OutboxEvent
from tests.support import Admin, assert_problem

SECRET = "s3cret-value-of-24-chars"
VALID = {"threshold_percent": 75, "webhook_url": "https://hooks.example.com/seats",
         "webhook_secret": SECRET}


def stored(database: Database, org_id: str) -> tuple[Any, ...] | None:
    with database.transaction(write=False) as session:
        row = session.get(AlertSettings, org_id)
        return None if row is None else (row.threshold_percent, row.webhook_url, row.webhook_secret)


def test_defaults_before_anything_is_set(owner: Admin) -> None:
    response = owner.as_role("viewer").get("/alerts")
    assert response.status_code == 200
    assert response.get_json() == {"threshold_percent": 90, "webhook_url": None,
                                   "webhook_secret_set": False}


@pytest.mark.parametrize("role", ["primary_owner", "admin"])
def test_owners_and_admins_set_alerts_and_never_see_the_secret(
    make_admin: Callable[..., Admin], database: Database, role: str
) -> None:
    admin = make_admin(role=role)
    response = admin.put("/alerts", VALID)
    assert response.status_code == 200, response.get_data(as_text=True)
    expected = {"threshold_percent": 75, "webhook_url": VALID["webhook_url"],
                "webhook_secret_set": True}
    assert response.get_json() == expected
    assert SECRET not in response.get_data(as_text=True)

    read = admin.as_role("viewer").get("/alerts")
    assert read.get_json() == expected
    assert SECRET not in read.get_data(as_text=True)
    assert stored(database, admin.org_id) == (75, VALID["webhook_url"], SECRET)


def test_a_viewer_may_not_change_alerts(owner: Admin, database: Database) -> None:
    owner.put("/alerts", VALID)
    response = owner.as_role("viewer").put("/alerts", {**VALID, "threshold_percent": 10})
    assert_problem(response, 403, "FORBIDDEN")
    assert stored(database, owner.org_id) == (75, VALID["webhook_url"], SECRET)


def test_alerts_need_a_token(owner: Admin) -> None:
    assert_problem(owner.client.get("/admin/v1/alerts"), 401, "UNAUTHENTICATED")


def test_the_secret_is_kept_when_absent_and_cleared_with_the_url(
    owner: Admin, database: Database
) -> None:
    owner.put("/alerts", VALID)
    response = owner.put("/alerts", {"threshold_percent": 80, "webhook_url": "http://h.example/x"})
    assert response.get_json()["webhook_secret_set"] is True
    assert stored(database, owner.org_id) == (80, "http://h.example/x", SECRET)

    cleared = owner.put("/alerts", {"threshold_percent": 80, "webhook_url": None,
                                    "webhook_secret": None})
    assert cleared.get_json() == {"threshold_percent": 80, "webhook_url": None,
                                  "webhook_secret_set": False}
    assert stored(database, owner.org_id) == (80, None, None)


BAD_BODIES = {
    "threshold zero": {**VALID, "threshold_percent": 0},
    "threshold above 100": {**VALID, "threshold_percent": 101},
    "threshold as text": {**VALID, "threshold_percent": "90"},
    "threshold fractional": {**VALID, "threshold_percent": 90.5},
    "threshold boolean": {**VALID, "threshold_percent": True},
    "threshold missing": {"webhook_url": None},
    "url missing": {"threshold_percent": 50},
    "url not http": {**VALID, "webhook_url": "ftp://hooks.example.com/x"},
    "url without host": {**VALID, "webhook_url": "https:///x"},
    "url not a url": {**VALID, "webhook_url": "hooks.example.com"},
    "url with credentials": {**VALID, "webhook_url": "https://u:p@hooks.example.com/"},
    "url with spaces": {**VALID, "webhook_url": "https://hooks.example.com/a b"},
    "url with a control character": {**VALID, "webhook_url": "https://hooks.example.com/\x12"},
    "url with raw unicode": {**VALID, "webhook_url": "https://h\u00f6oks.example.com/"},
    "url with a character URIs never hold": {**VALID, "webhook_url": "https://h.example/^<x>"},
    "url bad port": {**VALID, "webhook_url": "https://hooks.example.com:99999/"},
    "url too long": {**VALID, "webhook_url": "https://h.example/" + "a" * 2048},
    "url as number": {**VALID, "webhook_url": 42},
    "secret too short": {**VALID, "webhook_secret": "x" * 15},
    "secret too long": {**VALID, "webhook_secret": "x" * 256},
    "secret not text": {**VALID, "webhook_secret": 1234567890123456789},
    "url needs a secret": {"threshold_percent": 50, "webhook_url": "https://h.example/",
                           "webhook_secret": None},
    "unknown field": {**VALID, "threshold": 50},
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_input_is_a_400_and_changes_nothing(
    owner: Admin, database: Database, body: dict[str, Any]
) -> None:
    owner.put("/alerts", {**VALID, "webhook_url": "https://before.example/"})
    before = stored(database, owner.org_id)
    problem = assert_problem(owner.put("/alerts", body), 400, "INVALID_ALERT_SETTINGS")
    assert problem["errors"] and SECRET not in problem["detail"]
    assert stored(database, owner.org_id) == before


def test_a_url_without_any_stored_secret_is_refused(owner: Admin, database: Database) -> None:
    body = {"threshold_percent": 50, "webhook_url": "https://h.example/"}
    assert_problem(owner.put("/alerts", body), 400, "INVALID_ALERT_SETTINGS")
    assert stored(database, owner.org_id) is None


def test_a_body_that_is_not_an_object_is_refused(owner: Admin) -> None:
    response = owner.client.put("/admin/v1/alerts", data="[1]", headers={
        "Authorization": f"Bearer {owner.token}", "Content-Type": "application/json"})
    assert_problem(response, 400, "INVALID_BODY")


def test_the_threshold_set_here_decides_when_seats_low_fires(
    make_admin: Callable[..., Admin], database: Database
) -> None:
    admin = make_admin(seats=4)
    admin.put("/alerts", {"threshold_percent": 50, "webhook_url": None})
    admin.scim.create("first")
    admin.scim.create("second")
    with database.transaction(write=False) as session:
        fired = session.execute(
            select(OutboxEvent.event_type, OutboxEvent.payload)
            .where(OutboxEvent.org_id == admin.org_id)
            .order_by(OutboxEvent.id)
        ).all()
    assert [(t, p["assigned"], p["threshold_percent"]) for t, p in fired] == [("seats.low", 2, 50)]
