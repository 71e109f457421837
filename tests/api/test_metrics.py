"""GET /metrics: per-org seat gauges read from the database, and request, refusal and event
counters of the processes that served the calls (summed over gunicorn workers)."""
from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from app.db import Database
from app.factory import create_app
from app.settings import Settings
from seats import credentials, events
from seats.models import OutboxEvent
from tests.conftest import NOW
from tests.live_server import live_server
from tests.support import Scim, add_premium, user_body

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(app: Flask) -> Samples:
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return parse(response.get_data(as_text=True))


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_show_org_seats_and_count_scim_calls(
    app: Flask, make_scim: Callable[..., Scim]
) -> None:
    scim = make_scim(seats=2)
    before = scrape(app)
    scim.create("one")
    scim.create("two")
    assert scim.post("/Users", user_body("three")).status_code == 403
    assert scim.get("/Users").status_code == 200
    after = scrape(app)

    org = {"org": scim.org_slug, "seat_type": "standard"}
    assert value(after, "scim_seats_purchased", **org) == 2
    assert value(after, "scim_seats_assigned", **org) == 1 + 1
    assert value(after, "scim_seats_free", **org) == 0

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("scim_seats_scim_requests_total", method="POST", status="201") == 2
    assert delta("scim_seats_scim_requests_total", method="POST", status="403") == 1
    assert delta("scim_seats_scim_requests_total", method="GET", status="200") == 1
    assert delta("scim_seats_scim_request_duration_seconds_count", method="POST") == 3
    assert delta("scim_seats_refusals_total", reason="SEAT_LIMIT_REACHED") == 1
    assert delta("scim_seats_events_total", type="seats.exhausted") == 1
    assert delta("scim_seats_events_total", type="seats.provisioning_rejected") == 1
    assert ("scim_seats_outbox_pending", ()) in after


def test_events_of_a_rolled_back_transaction_are_not_counted(
    app: Flask, make_scim: Callable[..., Scim], database: Database
) -> None:
    scim = make_scim(seats=1)
    before = value(scrape(app), "scim_seats_events_total", type="seats.low")
    with pytest.raises(RuntimeError), database.transaction() as session:
        events.emit(session, scim.org_id, events.SEATS_LOW, {}, NOW)
        session.flush()
        raise RuntimeError("rolled back")
    with database.transaction() as session:
        events.emit(session, scim.org_id, events.SEATS_LOW, {}, NOW)
    assert value(scrape(app), "scim_seats_events_total", type="seats.low") == before + 1


def test_metrics_need_no_credentials_and_count_only_scim_calls(app: Flask) -> None:
    client = app.test_client()
    before = scrape(app)
    assert client.get("/scim/v2/Users").status_code == 401
    assert client.get("/admin/v1/alerts").status_code == 401
    after = scrape(app)
    unauthenticated = ("scim_seats_scim_requests_total", (("method", "GET"), ("status", "401")))
    assert after[unauthenticated] - before.get(unauthenticated, 0) == 1


def test_counts_of_all_gunicorn_workers_are_summed(
    database_url: str, database: Database, make_scim: Callable[..., Scim]
) -> None:
    scim = make_scim(seats=10)
    with database.transaction() as session:
        _, token = credentials.issue_token(session, scim.org_id, "live", NOW)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    with live_server(database_url, workers=2) as base:
        for i in range(6):
            response = requests.post(f"{base}/scim/v2/Users", json=user_body(f"live{i}"),
                                     headers=headers, timeout=30)
            assert response.status_code == 201, response.text
        for _ in range(4):  # whichever worker answers the scrape
            samples = parse(requests.get(f"{base}/metrics", timeout=30).text)
            assert value(samples, "scim_seats_scim_requests_total", method="POST", status="201") == 6
            assert value(samples, "scim_seats_assigned", org=scim.org_slug,
                         seat_type="standard") == 6


def test_outbox_backlog_gauges_follow_the_table(
    app: Flask, make_scim: Callable[..., Scim], database: Database
) -> None:
    scim = make_scim(seats=1)
    before = value(scrape(app), "scim_seats_outbox_pending")
    with database.transaction() as session:
        events.emit(session, scim.org_id, events.SEATS_LOW, {}, NOW)
    assert value(scrape(app), "scim_seats_outbox_pending") == before + 1
    with database.transaction() as session:
        session.execute(
            update(OutboxEvent).where(OutboxEvent.org_id == scim.org_id).values(delivered_at=NOW)
        )
    assert value(scrape(app), "scim_seats_outbox_pending") == before


def test_outside_development_metrics_need_the_token(database_url: str) -> None:
    secret = "s" * 40
    closed = create_app(Settings(database_url=database_url, secret_key=secret, dev_mode=False))
    assert closed.test_client().get("/metrics").status_code == 404
    guarded = create_app(Settings(database_url=database_url, secret_key=secret, dev_mode=False,
                                  metrics_token="scrape-me"))
    client = guarded.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200
    for app in (closed, guarded):
        app.extensions["db"].dispose()


def test_seat_gauges_have_a_sample_per_seat_type(
    app: Flask, make_scim: Callable[..., Scim]
) -> None:
    """Edge case 85 of docs/spec/seat-types.md: `seat_type` label; the org's sum unchanged."""
    scim = make_scim(seats=2)
    scim.create("one")
    add_premium(app.extensions["db"], scim.org_id, 3)
    assert scim.post("/Users", {**user_body("two"),
                                "roles": [{"value": "premium"}]}).status_code == 201
    samples = scrape(app)

    def gauges(key: str) -> tuple[float, ...]:
        labels = {"org": scim.org_slug, "seat_type": key}
        return tuple(value(samples, f"scim_seats_{name}", **labels)
                     for name in ("purchased", "assigned", "free"))

    assert gauges("premium") == (3, 1, 2)
    assert gauges("standard") == (2, 1, 1)
