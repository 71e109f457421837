"""Per-token and per-org request limits of the SCIM and admin APIs (the `limits` library).

The check runs after each API's authentication hook, because the org is known only once
the credential has been looked up; keying on a claim read before verification would let
anyone spend another org's allowance. One storage per process: `memory://` counts per
worker, a `redis://` URL counts once for every worker and server sharing that Redis.
A limit answers 429 with Retry-After (RFC 6585 §4); app.errors words it per API."""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Blueprint, Flask, g
from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError, StorageError
from limits.storage import MemoryStorage, StorageTypes, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter
from werkzeug.exceptions import TooManyRequests

from app.settings import Settings, SettingsError

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 0.5
"""A slow Redis must not hold requests: past this the request goes unlimited (see `_hit`)."""


SWEEP_SECONDS = 1.0
"""How often the in-memory counters drop the windows that have expired."""


class SweepingMemoryStorage(MemoryStorage):
    """`memory://` without a thread per request. The library's memory storage schedules
    the removal of expired windows on a 10 ms timer, and starts a new timer thread on any
    hit that finds the last one finished: under steady load nearly every request paid for
    a thread start (about 60 µs at 300 requests/s per worker, 180 µs at 80/s, against
    10 µs for the counting itself). Here the request that finds the last sweep a second
    old sweeps in line; between sweeps an expired window is still ignored on read, since
    the storage checks a key's expiry whenever it reads it. A subclass without
    STORAGE_SCHEME registers no scheme, so `memory://` elsewhere keeps the library's."""

    def __init__(self, wrap_exceptions: bool) -> None:
        super().__init__(wrap_exceptions=wrap_exceptions)
        self._next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the timer (name-mangled)
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


def _storage(storage_uri: str, options: dict[str, float | str | bool]) -> StorageTypes:
    if storage_uri == "memory://":
        return SweepingMemoryStorage(wrap_exceptions=True)
    return storage_from_string(storage_uri, **options)


@dataclass(frozen=True)
class ApiLimits:
    """The limits of one API: each credential's, and its org's over all its credentials."""

    api: str
    per_token: Sequence[RateLimitItem]
    per_org: Sequence[RateLimitItem]


class RateLimiter:
    """A sliding-window counter per key: smooth at window edges (a fixed window lets twice
    the limit through around a boundary) and two counters per key (this window's and the
    last), where a moving window keeps a timestamp of every request."""

    def __init__(self, storage_uri: str) -> None:
        options: dict[str, float | str | bool] = {"wrap_exceptions": True}
        if storage_uri.startswith(("redis://", "rediss://", "redis+unix://")):
            options |= {"socket_timeout": REDIS_TIMEOUT_SECONDS,
                        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS}
        try:
            storage = _storage(storage_uri, options)
        except ConfigurationError as exc:
            raise SettingsError(f"SCIM_RATE_LIMIT_STORAGE is not usable: {exc}") from None
        self._strategy = SlidingWindowCounterRateLimiter(storage)

    def check(self, limits: ApiLimits, org_id: str, actor: str) -> None:
        """Counts this request against its token and its org; TooManyRequests when either
        is spent, with the seconds until the first of them lets a request through again."""
        keys = ((limits.per_token, f"token:{org_id}:{actor}"), (limits.per_org, f"org:{org_id}"))
        for items, key in keys:
            for item in items:
                if not self._hit(item, limits.api, key):
                    wait = self._retry_after(item, limits.api, key)
                    raise TooManyRequests(f"too many requests; retry in {wait} s",
                                          retry_after=wait)

    def _hit(self, item: RateLimitItem, api: str, key: str) -> bool:
        """Fails open: an unreachable Redis must not turn the API into an outage."""
        try:
            return self._strategy.hit(item, api, key)
        except StorageError as exc:
            log.warning("rate limit storage unavailable, request not limited: %s",
                        exc.storage_error)
            return True

    def _retry_after(self, item: RateLimitItem, api: str, key: str) -> int:
        try:
            reset_at = self._strategy.get_window_stats(item, api, key).reset_time
        except StorageError:
            return item.get_expiry()
        return max(1, math.ceil(reset_at - time.time()))


def _limits(api: str, per_token: str, per_org: str) -> ApiLimits:
    return ApiLimits(api, parse_many(per_token), parse_many(per_org))


def install(app: Flask, settings: Settings, *, scim: Blueprint, admin: Blueprint) -> None:
    """Adds the check to the registered SCIM and admin blueprints after their
    authentication hooks (which set g.org_id and g.actor): a hook added after registration
    runs after the blueprint's own."""
    limiter = RateLimiter(settings.rate_limit_storage)
    apis = {
        scim.name: _limits("scim", settings.scim_token_rate_limit, settings.scim_org_rate_limit),
        admin.name: _limits("admin", settings.admin_token_rate_limit,
                            settings.admin_org_rate_limit),
    }
    for blueprint, limits in apis.items():
        def check(limits: ApiLimits = limits) -> None:
            limiter.check(limits, g.org_id, g.actor)

        app.before_request_funcs.setdefault(blueprint, []).append(check)
