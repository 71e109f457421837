"""What share of a year's price a seat added on a given day pays. Pure: dates in, an exact
fraction out; money is rounded once, by the caller, per invoice line."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from seats.terms import TERM_MONTHS, add_months, term_end


@dataclass(frozen=True)
class Proration:
    """The share of the annual price still to pay, and the counts that explain it."""

    policy: str
    share: Fraction
    period_start: date
    period_end: date
    remaining_months: int | None = None
    remaining_days: int | None = None
    days_in_period: int | None = None


def months_elapsed(start: date, on: date) -> int:
    """Whole monthly periods since `start` (boundaries from the anchor, never chained)."""
    months = (on.year - start.year) * 12 + on.month - start.month
    while months > 0 and add_months(start, months) > on:
        months -= 1
    return max(0, months)


def _monthly(start: date, on: date) -> Proration:
    remaining = TERM_MONTHS - months_elapsed(start, on)
    return Proration("monthly", Fraction(remaining, TERM_MONTHS), on, term_end(start),
                     remaining_months=remaining)


def _monthly_daily(start: date, on: date) -> Proration:
    k = months_elapsed(start, on)
    month_start, month_end = add_months(start, k), add_months(start, k + 1)
    days_left = (month_end - on).days
    month_days = (month_end - month_start).days
    whole_months = TERM_MONTHS - k - 1
    share = (whole_months + Fraction(days_left, month_days)) / TERM_MONTHS
    return Proration("monthly_daily", share, on, term_end(start), remaining_months=whole_months,
                     remaining_days=days_left, days_in_period=month_days)


def _daily(start: date, on: date) -> Proration:
    end = term_end(start)
    days_left, term_days = (end - on).days, (end - start).days
    return Proration("daily", Fraction(days_left, term_days), on, end,
                     remaining_days=days_left, days_in_period=term_days)


POLICIES = {"monthly": _monthly, "monthly_daily": _monthly_daily, "daily": _daily}


def prorate(policy: str, term_start: date, on: date) -> Proration:
    """`on` must lie in the term [term_start, term_end); the purchase day counts in full."""
    if not term_start <= on < term_end(term_start):
        raise ValueError(f"{on} is outside the term starting {term_start}")
    return POLICIES[policy](term_start, on)


def span_text(months: int | None, days: int | None, days_in_period: int | None) -> str:
    """How an invoice line names the share it bills, from the counts a proration gave."""
    if months is not None and days is not None:
        return f"{months} months and {days}/{days_in_period} days"
    if months is not None:
        return f"{months} of 12 months"
    return f"{days} of {days_in_period} days"
