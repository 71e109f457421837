"""Runs the date-sensitive tests (marker `date_sensitive`) once per scenario below, each with
the whole test run moved to that instant (tests/clock.py). `make test` runs it before the
full suite at today's date.

Why these instants: leap day and the month ends are where month arithmetic from a term's
anchor goes wrong; a term's last and first day are where proration, renewal and notices
change; 31 December and 1 January catch year arithmetic and anything that mixes fixed dates
with "today"."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from tests.clock import NOW_VARIABLE, TERM_START_VARIABLE


@dataclass(frozen=True)
class Scenario:
    name: str
    now: str
    term_start: str = ""


SCENARIOS = (
    Scenario("29 February", "2028-02-29T12:00:00+00:00"),
    Scenario("31 January", "2027-01-31T12:00:00+00:00"),
    Scenario("1 March", "2027-03-01T12:00:00+00:00"),
    Scenario("last day of a term", "2027-06-30T12:00:00+00:00", term_start="2026-07-01"),
    Scenario("first day of a term", "2027-04-01T00:30:00+00:00", term_start="2027-04-01"),
    Scenario("31 December", "2026-12-31T22:00:00+00:00"),
    Scenario("1 January", "2027-01-01T00:30:00+00:00"),
)


def run(scenario: Scenario, pytest_args: list[str]) -> int:
    env = {**os.environ, NOW_VARIABLE: scenario.now, TERM_START_VARIABLE: scenario.term_start}
    print(f"== date-sensitive tests at {scenario.now} ({scenario.name})", flush=True)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-m", "date_sensitive", *pytest_args]
    return subprocess.run(command, env=env).returncode


def main(pytest_args: list[str]) -> int:
    # 5: the extra arguments selected none of the date-sensitive tests.
    failed = [s.name for s in SCENARIOS if run(s, pytest_args) not in (0, 5)]
    if failed:
        print(f"date-sensitive tests failed at: {', '.join(failed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
