"""seats.events.crosses_some_threshold lets a claim skip reading the alert settings: it must
say yes exactly when some allowed threshold percent is first reached by that claim."""
from __future__ import annotations

from seats.events import THRESHOLD_RANGE, crosses_some_threshold, threshold_reached

PERCENTS = range(THRESHOLD_RANGE[0], THRESHOLD_RANGE[1] + 1)


def _first_reached_for_some_percent(assigned: int, total: int) -> bool:
    return any(
        threshold_reached(assigned, total, p) and not threshold_reached(assigned - 1, total, p)
        for p in PERCENTS
    )


def test_agrees_with_every_allowed_percent_on_pools_up_to_450_seats() -> None:
    for total in range(0, 451):
        for assigned in range(1, total + 1):
            assert crosses_some_threshold(assigned, total) == _first_reached_for_some_percent(
                assigned, total), (assigned, total)


def test_small_pools_always_ask_and_large_ones_mostly_do_not() -> None:
    assert all(crosses_some_threshold(a, 100) for a in range(1, 101))
    crossing = [a for a in range(1, 10_001) if crosses_some_threshold(a, 10_000)]
    assert crossing == list(range(100, 10_001, 100))
