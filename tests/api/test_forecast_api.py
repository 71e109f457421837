"""The forecast in `GET /admin/v1/seats` and on the console's Usage page, and its warning
period setting: docs/spec/forecast-and-idle.md, edge cases 317-319."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from flask import Flask

from app.settings import Settings, SettingsError
from tests.api.test_console import _sign_in
from tests.conftest import NOW
from tests.support import Admin

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


def test_the_seats_card_carries_both_trends_and_the_sooner_date(owner: Admin) -> None:
    with time_machine.travel(NOW, tick=False):  # one instant for the test and the API
        owner.scim.create("ada@example.com")
        owner.scim.create("bob@example.com")
        body = owner.get("/seats").get_json()
    # A new org is measured over one day at least: 2 claims a day, 3 free seats, 36 hours.
    runs_out_on = (NOW + timedelta(hours=36)).date().isoformat()
    trend = {"observed_days": 1.0, "net_claims": 2, "net_claims_per_day": 2.0,
             "runs_out_on": runs_out_on}
    assert body["forecast"] == {"runs_out_on": runs_out_on, "trends": [
        {"window_days": 30, **trend}, {"window_days": 90, **trend}]}
    assert (body["total"], body["assigned"]) == (5, 2)  # the card is unchanged around it


def test_a_quiet_org_has_no_exhaustion_date(owner: Admin) -> None:
    forecast = owner.as_role("viewer").get("/seats").get_json()["forecast"]
    assert forecast["runs_out_on"] is None
    assert [t["net_claims_per_day"] for t in forecast["trends"]] == [0.0, 0.0]


def test_the_usage_page_shows_the_forecast(app: Flask, owner: Admin) -> None:
    client = app.test_client()
    with time_machine.travel(NOW, tick=False):  # the sign-in, the claims and the page at NOW
        assert _sign_in(client, owner.as_role("viewer").token).status_code == 303
        quiet = client.get("/console/usage").get_data(as_text=True)
        assert "the pool does not run out" in quiet
        for name in ("ada", "bob", "cy", "dee"):
            owner.scim.create(f"{name}@example.com")
        page = client.get("/console/usage").get_data(as_text=True)
    # 4 claims a day, 1 free seat: six hours on.
    runs_out_on = (NOW + timedelta(hours=6)).date()
    assert f"runs out on <strong>{runs_out_on}</strong>" in page
    assert 'data-testid="trend-30"' in page and "4.00" in page
    owner.scim.create("eve@example.com")
    assert "No seat is free now." in client.get("/console/usage").get_data(as_text=True)


def test_the_warning_period_is_a_setting() -> None:
    assert Settings.from_env({"SCIM_DEV": "1"}).forecast_alert_days == 30
    assert Settings.from_env({"SCIM_DEV": "1", "SCIM_FORECAST_ALERT_DAYS": "14"}
                             ).forecast_alert_days == 14
    with pytest.raises(SettingsError, match="SCIM_FORECAST_ALERT_DAYS must be 1 or more"):
        Settings.from_env({"SCIM_DEV": "1", "SCIM_FORECAST_ALERT_DAYS": "0"})
