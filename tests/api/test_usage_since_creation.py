"""The console's usage chart and renewal preview (docs/spec/records.md, 231-232): the chart
starts at the org's creation at the earliest, and the renewal preview says it is a what-if."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from app.console.usage import _chart_start
from app.db import Database
from seats.models import Contract, Org
from tests.api.test_console import (
    Console,
    make_console,  # noqa: F401  (the console client fixture)
)
from tests.conftest import NOW
from tests.support import Admin

pytestmark = pytest.mark.date_sensitive  # dates relative to the run's instant

TODAY = NOW.date()


def _backdate(database: Database, org_id: str, created_days: int, term_days: int) -> None:
    with database.transaction() as session:
        session.get_one(Org, org_id).created_at = NOW - timedelta(days=created_days)
        session.get_one(Contract, org_id).term_start = TODAY - timedelta(days=term_days)


@pytest.mark.parametrize(("created_days", "term_days", "start_days"), [
    (0, 365, 0),     # created today inside a long-running term: today only
    (5, 365, 5),     # created five days ago: not 14 days back
    (60, 30, 30),    # an older org: the current term so far
    (60, 3, 13),     # a term three days old still shows two weeks
])
def test_231_the_chart_starts_at_creation_at_the_earliest(
        owner: Admin, database: Database, created_days: int, term_days: int,
        start_days: int) -> None:
    _backdate(database, owner.org_id, created_days, term_days)
    with database.transaction(write=False) as session:
        start = _chart_start(session, owner.org_id, TODAY)
    assert start == TODAY - timedelta(days=start_days)


def test_231_a_new_orgs_chart_is_one_day(
        make_console: Callable[..., Console], database: Database) -> None:  # noqa: F811
    console = make_console("viewer")
    _backdate(database, console.admin.org_id, 0, 365)
    page = console.client.get("/console/usage").get_data(as_text=True)
    assert page.count(TODAY.isoformat()) >= 2  # both ends of the axis: the same day
    assert (TODAY - timedelta(days=13)).isoformat() not in page


def test_232_the_renewal_preview_reads_as_a_what_if(
        make_console: Callable[..., Console]) -> None:  # noqa: F811
    page = make_console("viewer").client.get("/console/billing").get_data(as_text=True)
    assert "If the term renewed today:" in page and "Renewed today" not in page
