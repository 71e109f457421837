"""The exhaustion forecast on crafted audit histories with a passed `now` (no clock):
docs/spec/forecast-and-idle.md, edge cases 301-310."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from seats.audit import SeatCounts
from seats.forecast import Change, project

NOW = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
OLD_ORG = NOW - timedelta(days=400)


def days_from_now(days: int) -> date:
    return (NOW + timedelta(days=days)).date()


def claims_per_day(days: int, per_day: int = 1) -> list[Change]:
    """`per_day` claims an hour before now, and on each of the `days - 1` days before."""
    return [Change(NOW - timedelta(days=k, hours=1), 1) for k in range(days) for _ in range(per_day)]


def test_steady_growth_projects_the_same_day_from_both_windows() -> None:
    forecast = project(claims_per_day(120), SeatCounts(100, 40), OLD_ORG, NOW)
    thirty, ninety = forecast.trends
    assert (thirty.window_days, thirty.net_claims, thirty.per_day) == (30, 30, 1)
    assert (ninety.window_days, ninety.net_claims, ninety.per_day) == (90, 90, 1)
    assert thirty.runs_out_on == ninety.runs_out_on == days_from_now(60)
    assert forecast.runs_out_on == days_from_now(60)


def test_a_burst_two_months_ago_shows_in_the_90_day_trend_only() -> None:
    burst = [Change(NOW - timedelta(days=60), 1)] * 45
    forecast = project(burst, SeatCounts(100, 90), OLD_ORG, NOW)
    thirty, ninety = forecast.trends
    assert (thirty.net_claims, thirty.runs_out_on) == (0, None)
    assert (ninety.net_claims, ninety.per_day) == (45, Fraction(1, 2))
    assert ninety.runs_out_on == days_from_now(20)
    assert forecast.runs_out_on == days_from_now(20)


def test_a_burst_yesterday_makes_the_30_day_trend_the_sooner() -> None:
    burst = [Change(NOW - timedelta(days=1), 1)] * 30
    forecast = project(burst, SeatCounts(100, 70), OLD_ORG, NOW)
    thirty, ninety = forecast.trends
    assert (thirty.runs_out_on, ninety.runs_out_on) == (days_from_now(30), days_from_now(90))
    assert forecast.runs_out_on == days_from_now(30)


def test_net_shrink_never_runs_out() -> None:
    history = claims_per_day(90) + [Change(NOW - timedelta(days=k, hours=2), -1)
                                    for k in range(90) for _ in range(2)]
    forecast = project(history, SeatCounts(100, 10), OLD_ORG, NOW)
    assert [t.net_claims for t in forecast.trends] == [-30, -90]
    assert [t.runs_out_on for t in forecast.trends] == [None, None]
    assert forecast.runs_out_on is None


def test_claims_balanced_by_releases_never_run_out() -> None:
    history = [Change(NOW - timedelta(days=3), 1), Change(NOW - timedelta(days=2), -1)]
    forecast = project(history, SeatCounts(10, 5), OLD_ORG, NOW)
    assert [(t.net_claims, t.runs_out_on) for t in forecast.trends] == [(0, None), (0, None)]


def test_empty_history_has_no_rate_and_no_date() -> None:
    forecast = project([], SeatCounts(10, 3), OLD_ORG, NOW)
    assert [(t.net_claims, t.per_day, t.runs_out_on) for t in forecast.trends] == [
        (0, 0, None), (0, 0, None)]
    assert forecast.runs_out_on is None


def test_an_org_younger_than_30_days_is_measured_over_its_own_life() -> None:
    created = NOW - timedelta(days=10)
    history = [Change(created + timedelta(hours=k), 1) for k in range(20)]
    forecast = project(history, SeatCounts(30, 20), created, NOW)
    for trend in forecast.trends:
        assert (trend.observed, trend.net_claims, trend.per_day) == (timedelta(days=10), 20, 2)
        assert trend.runs_out_on == days_from_now(5)


def test_an_org_hours_old_is_measured_over_one_day_at_least() -> None:
    created = NOW - timedelta(hours=1)
    history = [Change(NOW - timedelta(minutes=30), 1)] * 5
    forecast = project(history, SeatCounts(20, 5), created, NOW)
    assert [(t.observed, t.per_day) for t in forecast.trends] == [(timedelta(days=1), 5)] * 2
    assert forecast.runs_out_on == days_from_now(3)


def test_a_full_pool_runs_out_today_whatever_the_history() -> None:
    for history in ([], claims_per_day(5), [Change(NOW - timedelta(days=1), -1)]):
        forecast = project(history, SeatCounts(10, 10), OLD_ORG, NOW)
        assert [t.runs_out_on for t in forecast.trends] == [NOW.date()] * 2


def test_window_edges_are_half_open_and_entries_after_now_are_ignored() -> None:
    history = [Change(NOW - timedelta(days=30), 1), Change(NOW, 1),
               Change(NOW - timedelta(days=90), 1), Change(NOW + timedelta(seconds=1), 1)]
    thirty, ninety = project(history, SeatCounts(10, 0), OLD_ORG, NOW).trends
    assert (thirty.net_claims, ninety.net_claims) == (1, 2)


def test_a_part_day_is_rounded_up_to_the_day_it_falls_in() -> None:
    # 3 claims in 30 days: 10 free seats last 100 days; 1 free seat 10 days (same instant
    # of day, so the date moves by exactly 10), 2 seats 20 days.
    history = [Change(NOW - timedelta(days=k), 1) for k in (1, 2, 3)]
    assert project(history, SeatCounts(11, 1), OLD_ORG, NOW).trends[0].runs_out_on == \
        days_from_now(100)
    late = NOW.replace(hour=23, minute=59)
    one_seat = project([Change(late - timedelta(days=1), 7)], SeatCounts(8, 7), OLD_ORG, late)
    # 7 claims in 30 days: one seat lasts 30/7 days = 4 days 6 h 51 min from 23:59 on the
    # 15th: the 20th, not the 19th.
    assert one_seat.trends[0].runs_out_on == date(2027, 3, 20)
