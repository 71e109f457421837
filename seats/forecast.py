"""When the seat pool runs out if seats keep being taken as they were lately.

The rate is the net change of `assigned` (claims minus releases) over a recent window,
read from the audit log, divided by the time the window actually covers: an org younger
than the window is measured over its own life, so its first month is not diluted by days
it did not exist. Two windows are reported, a recent one and a longer one, because a single
onboarding burst makes the recent rate alarming while the longer one shows the trend.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from seats.audit import SeatCounts
from seats.models import AuditEvent, Org, SeatPool

WINDOWS_DAYS = (30, 90)
DAY = timedelta(days=1)
MICROSECOND = timedelta(microseconds=1)
MIN_OBSERVED = DAY
"""An org minutes old would otherwise project from a few claims over a few minutes."""


@dataclass(frozen=True)
class Change:
    """One audit entry's effect on the assigned seats: +1 for a claim, -1 for a release."""

    at: datetime
    assigned_delta: int


@dataclass(frozen=True)
class Trend:
    """The net claims of one window and the exhaustion date they imply."""

    window_days: int
    observed: timedelta
    net_claims: int
    runs_out_on: date | None
    """None when the net rate is zero or negative: at this pace the pool never runs out."""

    @property
    def per_day(self) -> Fraction:
        return Fraction(self.net_claims * (DAY // MICROSECOND), self.observed // MICROSECOND)


@dataclass(frozen=True)
class Forecast:
    counts: SeatCounts
    trends: tuple[Trend, ...]

    @property
    def runs_out_on(self) -> date | None:
        """The soonest projection: a warning should not wait for the slower trend."""
        dates = [t.runs_out_on for t in self.trends if t.runs_out_on is not None]
        return min(dates, default=None)


def _runs_out_on(free: int, net: int, observed: timedelta, now: datetime) -> date | None:
    if free <= 0:
        return now.date()
    if net <= 0:
        return None
    # free / (net / observed) from now, rounded up to the whole microsecond.
    return (now + MICROSECOND * math.ceil(Fraction(free * (observed // MICROSECOND), net))).date()


def project(history: Iterable[Change], counts: SeatCounts, org_created: datetime,
            now: datetime) -> Forecast:
    """Pure: `history` holds the changes of at least the longest window before `now`
    (older or later entries are ignored, so a `now` in the past reads the past)."""
    nets = dict.fromkeys(WINDOWS_DAYS, 0)
    for change in history:
        for days in WINDOWS_DAYS:
            if now - timedelta(days=days) < change.at <= now:
                nets[days] += change.assigned_delta
    trends = []
    for days in WINDOWS_DAYS:
        observed = max(min(timedelta(days=days), now - org_created), MIN_OBSERVED)
        trends.append(Trend(days, observed, nets[days],
                            _runs_out_on(counts.free, nets[days], observed, now)))
    return Forecast(counts, tuple(trends))


def seat_changes(org_id: Any, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Audit entries of the longest window that changed `assigned` (refusals and purchases
    leave it as it was): the forecast's history, and the sweep's test of whether an org has
    any (`org_id` may be a column, for a correlated subquery)."""
    return (AuditEvent.org_id == org_id, AuditEvent.at > now - timedelta(days=max(WINDOWS_DAYS)),
            AuditEvent.assigned_after != AuditEvent.assigned_before)


def history(session: Session, org_id: str, now: datetime) -> Iterator[Change]:
    """The seat-changing audit entries up to `now`, streamed (a busy org's 90 days can be
    long)."""
    delta = AuditEvent.assigned_after - AuditEvent.assigned_before
    rows = session.execute(
        select(AuditEvent.at, delta)
        .where(*seat_changes(org_id, now), AuditEvent.at <= now)
        .execution_options(yield_per=1000)
    )
    return (Change(at, int(d)) for at, d in rows)


def of_org(session: Session, org_id: str, now: datetime) -> Forecast:
    counts = SeatCounts.of(session.get_one(SeatPool, org_id))
    created = session.get_one(Org, org_id).created_at
    return project(history(session, org_id, now), counts, created, now)
