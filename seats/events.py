"""Usage events, written to the outbox in the caller's transaction: an event exists exactly
when its cause was kept, and `app.delivery` sends it after the transaction is over.

Payload convention (every event type, including `seats.purchased` and `invoice.issued`
emitted by the commerce code through `emit`): a flat JSON object of counts, ids, dates and
ISO 8601 UTC times. `emit` adds `org_id` and `org_slug`; the delivered envelope adds the event
id, type and creation time. Never secrets, never user names or e-mails (a webhook receiver
is outside the org's directory). Suggested fields for the commerce events:
`seats.low` / `seats.exhausted` of an org with several seat types also carry the type
claimed and its counts {seat_type, seat_type_total, seat_type_assigned, seat_type_free,
seat_type_waiting (users still waiting for it)}.
`seats.purchased` {seats_added, total_before, total_after, invoice_id, invoice_number,
purchased_by (the actor's kind, e.g. "admin", never who)}; `invoice.issued` {invoice_id,
invoice_number, kind, currency, total_minor}. An automatic purchase (seats.pool_full) is a
`seats.purchased` with `"automatic": true`, purchased_by `auto-top-up`, seat_type,
auto_seats_this_term and max_auto_seats; `seats.requested` (seats.seat_requests) carries
{request_id, seat_type, requested_at, expires_at, pending}.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Exists, func, select
from sqlalchemy.orm import Session

from seats import audit, forecast, seat_types
from seats.models import (
    AlertSettings,
    AuditEvent,
    Contract,
    Org,
    OutboxEvent,
    SeatPool,
    SeatType,
)
from seats.pool_lock import LockedPool, lock_pool
from seats.terms import term_end

SEATS_LOW = "seats.low"
SEATS_EXHAUSTED = "seats.exhausted"
PROVISIONING_REJECTED = "seats.provisioning_rejected"
RENEWAL_UPCOMING = "renewal.upcoming"
SEATS_PURCHASED = "seats.purchased"
SEATS_REQUESTED = "seats.requested"
INVOICE_ISSUED = "invoice.issued"
SEATS_FORECAST = "seats.forecast"

DEFAULT_THRESHOLD_PERCENT = 90
THRESHOLD_RANGE = (1, 100)
"""What the alert settings' CHECK constraint allows (seats.models.AlertSettings)."""
DEFAULT_FORECAST_ALERT_DAYS = 30
REFUSAL_DIGEST_EVERY = timedelta(hours=24)
RENEWAL_NOTICE_DAYS = (30, 14, 5)
REFUSED_ACTION = "seat.refused"


def emit(
    session: Session, org_id: str, event_type: str, payload: dict[str, Any], now: datetime
) -> OutboxEvent:
    """Adds the event to the caller's transaction; it is due for delivery at once."""
    org = session.get_one(Org, org_id)
    event = OutboxEvent(
        org_id=org_id,
        event_type=event_type,
        payload={**payload, "org_id": org_id, "org_slug": org.slug},
        created_at=now,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(event)
    return event


def counts(pool: SeatPool) -> dict[str, int]:
    return {"total": pool.total, "assigned": pool.assigned, "free": pool.free}


def threshold_reached(assigned: int, total: int, percent: int) -> bool:
    """Integer arithmetic, so 90 % of 10 seats is reached at exactly 9."""
    return total > 0 and assigned * 100 >= total * percent


def crosses_some_threshold(assigned: int, total: int) -> bool:
    """Whether the claim that brought `assigned` to this level is the one reaching some
    threshold the settings allow: the smallest percent not yet reached one seat earlier,
    checked against this level. On a pool of more than 100 seats most claims cross none,
    and after_claim then needs no settings read."""
    if total <= 0:
        return False
    lowest, highest = THRESHOLD_RANGE
    percent = max(lowest, (assigned - 1) * 100 // total + 1)
    return percent <= highest and threshold_reached(assigned, total, percent)


def threshold_percent(session: Session, org_id: str) -> int:
    settings = session.get(AlertSettings, org_id)
    return settings.threshold_percent if settings else DEFAULT_THRESHOLD_PERCENT


def type_counts(seat_type: SeatType) -> dict[str, Any]:
    return {"seat_type": seat_type.key, "seat_type_total": seat_type.total,
            "seat_type_assigned": seat_type.assigned, "seat_type_free": seat_type.free}


WaitingCount = Callable[[str], int]
"""Users waiting for a seat type, by key: counted by the caller, which knows the users
(this domain does not), and only when an event is written."""


def after_claim(session: Session, pool: SeatPool, now: datetime,
                seat_type: SeatType | None = None, waiting: WaitingCount | None = None) -> None:
    """Called once a claim has raised `assigned` by one (of the pool, or of `seat_type` by a
    move). Fires only on the claim that crosses a level, so an org hovering above its
    threshold is not told again on every claim; a release and a new crossing tell it again.
    `seat_type` is given when the org sells several: the levels are then the type's, since
    premium can run out while standard has plenty, and the payload names the type."""
    total, assigned = (pool.total, pool.assigned) if seat_type is None else (
        seat_type.total, seat_type.assigned)
    if not crosses_some_threshold(assigned, total) and assigned != total:
        return
    percent = threshold_percent(session, pool.org_id)
    low = threshold_reached(assigned, total, percent) and not threshold_reached(
        assigned - 1, total, percent)
    if not low and assigned != total:
        return
    payload = counts(pool) | ({} if seat_type is None else type_counts(seat_type))
    if seat_type is not None and waiting is not None:
        payload["seat_type_waiting"] = waiting(seat_type.key)
    if low:
        emit(session, pool.org_id, SEATS_LOW, {**payload, "threshold_percent": percent}, now)
    if assigned == total:
        emit(session, pool.org_id, SEATS_EXHAUSTED, payload, now)


def alert_settings_for_update(session: Session, org_id: str) -> AlertSettings:
    """The org's alert settings, created with defaults if missing, under the pool lock: a
    settings change and a first refusal may both be the one to create the row."""
    lock_pool(session, org_id)
    settings = session.get(AlertSettings, org_id)
    if settings is None:
        settings = AlertSettings(org_id=org_id, threshold_percent=DEFAULT_THRESHOLD_PERCENT)
        session.add(settings)
    return settings


def change_alert_settings(session: Session, settings: AlertSettings, *, threshold_percent: int,
                          webhook_url: str | None, webhook_secret: str | None, actor: str,
                          now: datetime) -> None:
    """Audited before → after, the secret only as "replaced" (a secret never goes into the
    log); a save that changes nothing writes no entry, like the pool-full policy's.
    `settings` comes from alert_settings_for_update, under the pool lock."""
    wanted = (threshold_percent, webhook_url, webhook_secret)
    if wanted == (settings.threshold_percent, settings.webhook_url, settings.webhook_secret):
        return
    secret_note = "; webhook secret replaced" if webhook_secret != settings.webhook_secret else ""
    detail = (f"threshold {settings.threshold_percent}% → {threshold_percent}%; "
              f"webhook {settings.webhook_url or 'none'} → {webhook_url or 'none'}{secret_note}")
    settings.threshold_percent, settings.webhook_url, settings.webhook_secret = wanted
    audit.record_change(session, settings.org_id, action="alerts.changed", actor=actor,
                        subject=None, now=now, detail=detail)


def _refused_after(org_id: Any, since: Any) -> tuple[ColumnElement[bool], ...]:
    """Refusals audited after `since`: the ones no event has reported yet."""
    return (
        AuditEvent.org_id == org_id, AuditEvent.action == REFUSED_ACTION, AuditEvent.at > since
    )


def refusals_since(session: Session, org_id: str, since: datetime) -> int:
    query = select(func.count()).select_from(AuditEvent).where(*_refused_after(org_id, since))
    return session.scalar(query) or 0


def _emit_digest_if_due(
    session: Session, pool: SeatPool, settings: AlertSettings, now: datetime
) -> bool:
    last = settings.last_refusal_event_at
    if last is None or now - last < REFUSAL_DIGEST_EVERY:
        return False
    refusals = refusals_since(session, pool.org_id, last)
    if refusals == 0:
        return False
    payload = {**counts(pool), "digest": True, "refusals": refusals, "since": last.isoformat()}
    emit(session, pool.org_id, PROVISIONING_REJECTED, payload, now)
    settings.last_refusal_event_at = now
    return True


def after_refusal(session: Session, org_id: str, now: datetime) -> None:
    """Called after the refusal's audit entry was added. The first refusal is told at once;
    later ones are summed up in at most one digest a day, since an IdP retrying a refused
    user would otherwise send one event per retry."""
    settings = alert_settings_for_update(session, org_id)
    pool = session.get_one(SeatPool, org_id)
    if settings.last_refusal_event_at is None:
        payload = {**counts(pool), "digest": False, "refusals": 1, "since": None}
        emit(session, org_id, PROVISIONING_REJECTED, payload, now)
        settings.last_refusal_event_at = now
        return
    _emit_digest_if_due(session, pool, settings, now)


def refusal_digest_due(session: Session, org_id: str, now: datetime) -> bool:
    """The digest of refusals that no later refusal came to report (run by the sweep)."""
    pool = lock_pool(session, org_id)
    settings = session.get(AlertSettings, org_id)
    return settings is not None and _emit_digest_if_due(session, pool, settings, now)


def digest_candidates(session: Session, now: datetime) -> list[str]:
    """Orgs with unreported refusals whose last refusal event is a day old or more."""
    unreported = (
        select(AuditEvent.id)
        .where(*_refused_after(AlertSettings.org_id, AlertSettings.last_refusal_event_at))
        .exists()
    )
    query = select(AlertSettings.org_id).where(
        AlertSettings.last_refusal_event_at <= now - REFUSAL_DIGEST_EVERY, unreported
    )
    return list(session.scalars(query))


def _notice_due(term_end_date: date, today: date) -> int | None:
    """The most urgent notice the term's end calls for today; older missed ones are
    superseded by it rather than sent late."""
    days_left = (term_end_date - today).days
    due = [days for days in RENEWAL_NOTICE_DAYS if 0 < days_left <= days]
    return min(due) if due else None


def renewal_candidates(session: Session, now: datetime) -> list[str]:
    """Orgs whose term ends within the longest notice period."""
    rows = session.execute(select(Contract.org_id, Contract.term_start)).all()
    return [
        row.org_id for row in rows
        if _notice_due(term_end(row.term_start), now.date()) is not None
    ]


def _notice_sent(session: Session, org_id: str, term_end_iso: str, days_before: int) -> bool:
    payloads = session.scalars(
        select(OutboxEvent.payload).where(
            OutboxEvent.org_id == org_id, OutboxEvent.event_type == RENEWAL_UPCOMING
        )
    )
    return any(
        p.get("term_end") == term_end_iso and p.get("days_before") == days_before
        for p in payloads
    )


def _renewal_seats(session: Session, pool: LockedPool, contract: Contract) -> int:
    """What the renewal will buy: each seat type's rule, summed (seats.renewal's own)."""
    renewed = seat_types.renewed_quantities(seat_types.locked_types(session, pool), contract, pool)
    return sum(quantity for _, quantity in renewed)


def renewal_upcoming(session: Session, org_id: str, now: datetime) -> bool:
    """Emits the 30-, 14- or 5-day notice of the current term's end, once per term and
    notice however often it runs. Returns whether it emitted one."""
    pool = lock_pool(session, org_id)
    contract = pool.contract
    end = term_end(contract.term_start)
    days_before = _notice_due(end, now.date())
    if days_before is None or _notice_sent(session, org_id, end.isoformat(), days_before):
        return False
    payload = {
        **counts(pool),
        "term_end": end.isoformat(),
        "days_before": days_before,
        "days_left": (end - now.date()).days,
        "auto_renew": contract.auto_renew,
        "renewal_seats": _renewal_seats(session, pool, contract) if contract.auto_renew else None,
    }
    emit(session, org_id, RENEWAL_UPCOMING, payload, now)
    return True


def forecast_candidates(session: Session, now: datetime) -> list[str]:
    """Orgs with a free seat whose assigned seats changed within the forecast's longest
    window: without a change there is no rate, and a full pool was told by seats.exhausted."""
    changed = select(AuditEvent.id).where(*forecast.seat_changes(SeatPool.org_id, now)).exists()
    return list(session.scalars(select(SeatPool.org_id).where(
        SeatPool.assigned < SeatPool.total, changed, ~_forecast_sent_today(SeatPool.org_id, now))))


def _forecast_sent_today(org_id: Any, now: datetime) -> Exists:
    """A seats.forecast already emitted for the org this UTC day: the sweep leaves such orgs
    out rather than take their seat lock to find it out, and the warning checks it again
    under the lock, where two deliverers sweeping at once cannot both miss it."""
    midnight = datetime.combine(now.date(), time(), tzinfo=UTC)
    return select(OutboxEvent.id).where(
        OutboxEvent.org_id == org_id, OutboxEvent.event_type == SEATS_FORECAST,
        OutboxEvent.created_at >= midnight,
    ).exists()


def _forecast_payload(projection: forecast.Forecast, runs_out_on: date, now: datetime,
                      within_days: int) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "total": projection.counts.total, "assigned": projection.counts.assigned,
        "free": projection.counts.free, "runs_out_on": runs_out_on.isoformat(),
        "days_left": (runs_out_on - now.date()).days, "within_days": within_days,
    }
    for trend in projection.trends:
        payload[f"net_claims_{trend.window_days}d"] = trend.net_claims
        payload[f"runs_out_on_{trend.window_days}d"] = (
            trend.runs_out_on.isoformat() if trend.runs_out_on else None)
    return payload


def forecast_warning(session: Session, org_id: str, now: datetime, within_days: int) -> bool:
    """Emits seats.forecast when the sooner projection falls within `within_days` of today,
    at most once per UTC day: deliverers sweep every few minutes and the projection moves
    with each claim. Under the pool lock, so two deliverers sweeping at once emit once."""
    pool = lock_pool(session, org_id)
    if pool.free <= 0 or session.scalar(select(_forecast_sent_today(org_id, now))):
        return False
    projection = forecast.of_org(session, org_id, now)
    runs_out_on = projection.runs_out_on
    if runs_out_on is None or (runs_out_on - now.date()).days > within_days:
        return False
    emit(session, org_id, SEATS_FORECAST,
         _forecast_payload(projection, runs_out_on, now, within_days), now)
    return True
