"""Proration and money: the spec's worked examples, edge cases 29–33, and properties."""
from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seats.errors import InvalidContract
from seats.money import exponent, format_amount, round_half_up
from seats.proration import months_elapsed, prorate
from seats.terms import term_end

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


def amount(policy: str, start: date, on: date, seats: int, price_minor: int) -> int:
    return round_half_up(seats * price_minor * prorate(policy, start, on).share)


def test_edge_30_the_articles_case_monthly() -> None:
    assert amount("monthly", date(2025, 1, 1), date(2025, 3, 1), 5, 30_000) == 125_000
    assert format_amount(125_000, "USD") == "USD 1,250.00"
    assert prorate("monthly", date(2025, 1, 1), date(2025, 3, 1)).remaining_months == 10


def test_edge_30_the_articles_case_daily() -> None:
    assert amount("daily", date(2025, 1, 1), date(2025, 3, 1), 5, 30_000) == 125_753


def test_edge_30_leap_year_term_daily() -> None:
    assert amount("daily", date(2024, 1, 1), date(2024, 3, 1), 5, 30_000) == 125_410


def test_edge_31_price_not_divisible_by_twelve_is_rounded_once() -> None:
    assert amount("monthly", date(2025, 1, 1), date(2025, 3, 1), 5, 29_999) == 124_996


def test_edge_32_yen_has_no_minor_digits() -> None:
    assert exponent("JPY") == 0
    assert amount("daily", date(2025, 1, 1), date(2025, 3, 1), 5, 36_000) == 150_904
    assert format_amount(150_904, "JPY") == "JPY 150,904"


def test_three_digit_currencies() -> None:
    assert exponent("KWD") == 3
    assert format_amount(1_500, "KWD") == "KWD 1.500"


def test_unknown_or_unpriceable_currency_is_refused() -> None:
    for code in ("ZZZ", "XXX", "usd"):
        with pytest.raises(InvalidContract):
            exponent(code)


@pytest.mark.parametrize("policy", ["monthly", "monthly_daily", "daily"])
def test_edge_29_purchase_on_the_first_day_pays_a_full_year(policy: str) -> None:
    assert prorate(policy, date(2025, 1, 1), date(2025, 1, 1)).share == 1


def test_edge_29_purchase_on_the_last_day() -> None:
    start, last = date(2025, 1, 1), date(2025, 12, 31)
    assert prorate("monthly", start, last).share == Fraction(1, 12)
    assert prorate("daily", start, last).share == Fraction(1, 365)
    assert prorate("monthly_daily", start, last).share == Fraction(1, 31) / 12


def test_mid_month_pays_the_current_month_in_full_under_monthly() -> None:
    assert prorate("monthly", date(2025, 1, 1), date(2025, 3, 31)).remaining_months == 10


def test_monthly_daily_counts_the_days_left_in_the_current_month() -> None:
    p = prorate("monthly_daily", date(2025, 1, 1), date(2025, 3, 15))
    assert (p.remaining_months, p.remaining_days, p.days_in_period) == (9, 17, 31)
    assert p.share == (9 + Fraction(17, 31)) / 12


def test_edge_33_months_count_from_the_anchor() -> None:
    start = date(2025, 1, 31)
    assert months_elapsed(start, date(2025, 2, 27)) == 0
    assert months_elapsed(start, date(2025, 2, 28)) == 1
    assert months_elapsed(start, date(2025, 3, 30)) == 1
    assert months_elapsed(start, date(2025, 3, 31)) == 2
    assert months_elapsed(start, date(2025, 4, 30)) == 3


def test_outside_the_term_is_an_error() -> None:
    with pytest.raises(ValueError):
        prorate("monthly", date(2025, 1, 1), date(2026, 1, 1))
    with pytest.raises(ValueError):
        prorate("monthly", date(2025, 1, 1), date(2024, 12, 31))


def test_round_half_up() -> None:
    assert round_half_up(Fraction(1, 2)) == 1
    assert round_half_up(Fraction(3, 2)) == 2
    assert round_half_up(Fraction(249, 100)) == 2
    with pytest.raises(ValueError):
        round_half_up(Fraction(-1, 2))


starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@st.composite
def purchases(draw: st.DrawFn) -> tuple[date, date, int, int]:
    start = draw(starts)
    offset = draw(st.integers(min_value=0, max_value=(term_end(start) - start).days - 1))
    return (start, start + timedelta(days=offset), draw(st.integers(1, 10_000)),
            draw(st.integers(0, 10_000_000)))


@given(purchases(), st.sampled_from(["monthly", "monthly_daily", "daily"]))
def test_amount_is_never_negative_nor_more_than_a_full_year(
    purchase: tuple[date, date, int, int], policy: str
) -> None:
    start, on, seats, price = purchase
    value = amount(policy, start, on, seats, price)
    assert 0 <= value <= seats * price


@given(purchases())
def test_monthly_equals_n_p_r_over_12_rounded_once(purchase: tuple[date, date, int, int]) -> None:
    start, on, seats, price = purchase
    r = 12 - months_elapsed(start, on)
    assert 1 <= r <= 12
    exact = Fraction(seats * price * r, 12)
    assert amount("monthly", start, on, seats, price) == int(exact + Fraction(1, 2))


@given(purchases())
def test_later_purchases_never_cost_more(purchase: tuple[date, date, int, int]) -> None:
    start, on, seats, price = purchase
    later = min(on + timedelta(days=1), term_end(start) - timedelta(days=1))
    for policy in ("monthly", "monthly_daily", "daily"):
        assert amount(policy, start, later, seats, price) <= amount(policy, start, on, seats, price)
