"""The seat rule itself, as plain Python on the pool: no database needed."""
from __future__ import annotations

from datetime import date

import pytest

from seats.errors import NoSeatAvailable
from seats.models import SeatPool
from seats.terms import add_months, term_end

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


def test_assign_takes_a_free_seat() -> None:
    pool = SeatPool(org_id="o", total=2, assigned=1)
    pool.assign()
    assert (pool.assigned, pool.free) == (2, 0)


def test_assign_on_a_full_pool_refuses_and_changes_nothing() -> None:
    pool = SeatPool(org_id="o", total=2, assigned=2)
    with pytest.raises(NoSeatAvailable) as refused:
        pool.assign(subject="user:x")
    assert (refused.value.total, refused.value.assigned, refused.value.subject) == (2, 2, "user:x")
    assert pool.assigned == 2


def test_zero_seat_pool_refuses() -> None:
    with pytest.raises(NoSeatAvailable):
        SeatPool(org_id="o", total=0, assigned=0).assign()


def test_release_frees_a_seat() -> None:
    pool = SeatPool(org_id="o", total=2, assigned=2)
    pool.release()
    assert pool.free == 1


def test_release_of_an_empty_pool_is_a_bug_not_a_negative_count() -> None:
    pool = SeatPool(org_id="o", total=2, assigned=0)
    with pytest.raises(AssertionError):
        pool.release()
    assert pool.assigned == 0


def test_edge_33_term_anchored_on_31_january_never_drifts() -> None:
    start = date(2025, 1, 31)
    boundaries = [add_months(start, k) for k in range(1, 5)]
    assert boundaries == [date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30), date(2025, 5, 31)]
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert term_end(start) == date(2026, 1, 31)
