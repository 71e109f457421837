"""Seat usage: the chart of assigned and total seats over time (from the audit log), the
alert threshold, and the warning shown at the threshold and when the pool is full."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import g, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.console import chart
from app.context import current_db
from app.read_models import DEFAULT_IDLE_DAYS
from seats import events, forecast, seating
from seats.clock import utcnow
from seats.events import threshold_reached  # the rule seats.low fires on
from seats.models import AuditEvent, Contract, Org

REFUSAL_WINDOW = timedelta(days=7)
MIN_CHART_DAYS = 14


@dataclass(frozen=True)
class UsageAlert:
    total: int
    assigned: int
    threshold_percent: int
    refusals: int
    """Provisioning requests refused in the last seven days."""

    @property
    def full(self) -> bool:
        return self.assigned >= self.total

    @property
    def percent_used(self) -> int:
        return self.assigned * 100 // self.total if self.total else 100


def alert(session: Session, org_id: str, now: datetime) -> UsageAlert | None:
    """None while usage is below the org's threshold and the pool has a free seat."""
    counts = seating.seat_counts(session, org_id)
    percent = events.threshold_percent(session, org_id)
    if counts.free > 0 and not threshold_reached(counts.assigned, counts.total, percent):
        return None
    return UsageAlert(counts.total, counts.assigned, percent,
                      events.refusals_since(session, org_id, now - REFUSAL_WINDOW))


def _chart_start(session: Session, org_id: str, today: date) -> date:
    """The current term so far, but at least two weeks so a young term still shows a line;
    never before the org existed, where the line would show seats nobody had."""
    term_start = session.get_one(Contract, org_id).term_start
    created = session.get_one(Org, org_id).created_at.date()
    return max(created, min(term_start, today - timedelta(days=MIN_CHART_DAYS - 1)))


def _samples(session: Session, org_id: str, start: date, today: date) -> list[chart.Sample]:
    since = datetime.combine(start, time(), tzinfo=UTC)
    columns = (AuditEvent.at, AuditEvent.total_after, AuditEvent.assigned_after)
    before = session.execute(
        select(AuditEvent.total_after, AuditEvent.assigned_after)
        .where(AuditEvent.org_id == org_id, AuditEvent.at < since)
        .order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    first = session.execute(
        select(AuditEvent.total_before, AuditEvent.assigned_before)
        .where(AuditEvent.org_id == org_id, AuditEvent.at >= since)
        .order_by(AuditEvent.id).limit(1)
    ).first()
    counts = seating.seat_counts(session, org_id)
    initial = before or first or (counts.total, counts.assigned)
    changes = session.execute(
        select(*columns).where(AuditEvent.org_id == org_id, AuditEvent.at >= since)
        .order_by(AuditEvent.id).execution_options(yield_per=1000)
    )
    return chart.daily_samples((initial[0], initial[1]),
                               ((row.at, row.total_after, row.assigned_after) for row in changes),
                               start, today)


def usage() -> str:
    now = utcnow()
    with current_db().transaction(write=False) as session:
        counts = seating.seat_counts(session, g.org_id)
        percent = events.threshold_percent(session, g.org_id)
        samples = _samples(session, g.org_id, _chart_start(session, g.org_id, now.date()),
                           now.date())
        warning = alert(session, g.org_id, now)
        refusals = events.refusals_since(session, g.org_id, now - REFUSAL_WINDOW)
        projection = forecast.of_org(session, g.org_id, now)
    return render_template("console/usage.html", counts=counts, threshold=percent,
                           chart=chart.build(samples, percent), alert=warning,
                           refusals=refusals, forecast=projection, today=now.date(),
                           idle_days=DEFAULT_IDLE_DAYS)
