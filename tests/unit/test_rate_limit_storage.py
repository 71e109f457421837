"""The in-memory request counters (app/rate_limits.py): counting must not start a thread per
request, and windows that have expired must still be dropped, or a long-running worker would
keep one counter per token and window forever."""
from __future__ import annotations

import threading

import pytest
from limits import parse
from limits.strategies import SlidingWindowCounterRateLimiter

from app.rate_limits import SweepingMemoryStorage


def test_counting_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    storage = SweepingMemoryStorage(wrap_exceptions=True)
    storage.timer.join()  # the library's constructor starts one, which ends after 10 ms
    started: list[threading.Thread] = []
    monkeypatch.setattr(threading.Timer, "start", lambda timer: started.append(timer))
    limiter = SlidingWindowCounterRateLimiter(storage)
    item = parse("1000 per minute")
    assert all(limiter.hit(item, "scim", f"token:{n % 7}") for n in range(500))
    assert started == []


def test_a_hit_after_the_sweep_interval_drops_expired_windows() -> None:
    storage = SweepingMemoryStorage(wrap_exceptions=True)
    storage.incr("expired", expiry=-1)  # a window whose time is already over
    storage.incr("live", expiry=60)
    assert "expired" in storage.storage
    storage._next_sweep = 0.0  # the last sweep is a second old
    storage.incr("live", expiry=60)
    assert "expired" not in storage.storage
    assert storage.get("live") == 2


def test_limits_still_refuse_past_the_count() -> None:
    limiter = SlidingWindowCounterRateLimiter(SweepingMemoryStorage(wrap_exceptions=True))
    item = parse("3 per hour")
    assert [limiter.hit(item, "scim", "token:a") for _ in range(4)] == [True, True, True, False]
