"""The test run's clock. By default tests run at the real date; with `SCIM_TEST_NOW` set
(an ISO 8601 instant with a zone) every test process, and every server or CLI process the
tests start, runs from that instant instead, moved there by time-machine and ticking on.
`make test` uses this to run the date-sensitive tests at leap days, month ends and term ends
(tests/date_matrix.py), so a test that mixes fixed dates with "today" fails on every
machine, not only in the weeks of the year when the mix happens to go wrong.

`SCIM_TEST_TERM_START` (a date) overrides the term start of the orgs tests create by
default, so a scenario can put "now" on the first or last day of a term."""
from __future__ import annotations

import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import time_machine

NOW_VARIABLE = "SCIM_TEST_NOW"
TERM_START_VARIABLE = "SCIM_TEST_TERM_START"
_ROOT = Path(__file__).resolve().parent.parent
_SCIM_SEATS = Path(sys.executable).with_name("scim-seats")


def frozen_instant() -> datetime | None:
    """The instant asked for in the environment, aware UTC, or None for the real clock."""
    value = os.environ.get(NOW_VARIABLE, "").strip()
    if not value:
        return None
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError(f"{NOW_VARIABLE} must carry a zone, e.g. 2028-02-29T12:00:00+00:00")
    return instant.astimezone(UTC)


def term_start_override() -> date | None:
    value = os.environ.get(TERM_START_VARIABLE, "").strip()
    return date.fromisoformat(value) if value else None


def _real_time() -> float:
    hatch = time_machine.escape_hatch
    return hatch.time.time() if hatch.is_travelling() else time.time()


def travel_by(offset_seconds: float) -> None:
    """Moves this process, and those it forks (gunicorn workers), `offset_seconds` away
    from the real clock. Ticking, because timeouts, token lifetimes and quote validity
    need time to pass."""
    time_machine.travel(_real_time() + offset_seconds, tick=True).start()
    time.time()  # time-machine starts ticking at the first reading, not at start()


def travel_if_asked() -> None:
    instant = frozen_instant()
    if instant is not None:
        travel_by(instant.timestamp() - _real_time())


def scim_seats_command() -> list[str]:
    """How tests start the `scim-seats` CLI in a process of its own. On a moved clock it
    goes through tests/frozen_cli.py with this process's offset from the real clock, so
    the server's clock and the tests' agree to the millisecond (a token issued here is
    never "not yet valid" there)."""
    if not time_machine.escape_hatch.is_travelling():
        return [str(_SCIM_SEATS)]
    offset = time.time() - _real_time()
    return [sys.executable, str(_ROOT / "tests" / "frozen_cli.py"), repr(offset)]
