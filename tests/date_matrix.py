"""Runs the date-sensitive tests (marker `date_sensitive`) once per scenario below, each with
the whole test run moved to that instant (tests/clock.py). `make test` runs it before the
full suite at today's date.

Why these instants: leap day and the month ends are where month arithmetic from a term's
anchor goes wrong; a term's last and first day are where proration, renewal and notices
change; 31 December and 1 January catch year arithmetic and anything that mixes fixed dates
with "today".

Every instant runs on SQLite; two of them (the leap day and a term's last day) on PostgreSQL
too, when the run has it. The date arithmetic is Python's, the same on both; what differs by
backend (SQL, locks, transactions) the full suite covers on both, and all seven instants on
both would put `make test` past its 15-minute budget on two cores."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from tests.clock import NOW_VARIABLE, TERM_START_VARIABLE

POSTGRES_VARIABLES = ("SCIM_TEST_POSTGRES_URL", "SCIM_REQUIRE_POSTGRES")


@dataclass(frozen=True)
class Scenario:
    name: str
    now: str
    term_start: str = ""
    postgres_too: bool = False


SCENARIOS = (
    Scenario("29 February", "2028-02-29T12:00:00+00:00", postgres_too=True),
    Scenario("31 January", "2027-01-31T12:00:00+00:00"),
    Scenario("1 March", "2027-03-01T12:00:00+00:00"),
    Scenario("last day of a term", "2027-06-30T12:00:00+00:00", term_start="2026-07-01",
             postgres_too=True),
    Scenario("first day of a term", "2027-04-01T00:30:00+00:00", term_start="2027-04-01"),
    Scenario("31 December", "2026-12-31T22:00:00+00:00"),
    Scenario("1 January", "2027-01-01T00:30:00+00:00"),
)


def run(scenario: Scenario, pytest_args: list[str]) -> int:
    env = {**os.environ, NOW_VARIABLE: scenario.now, TERM_START_VARIABLE: scenario.term_start}
    if not scenario.postgres_too:
        for variable in POSTGRES_VARIABLES:
            env.pop(variable, None)
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
