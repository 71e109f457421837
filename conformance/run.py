"""`python -m conformance.run` (`make conformance`): one scratch server, then the third-party
checker scim2-tester, then the Okta and Entra flows. Exits non-zero when scim2-tester has an
ERROR or CRITICAL result or any flow step fails, and ends with one summary line that CI logs
and people can both read: `conformance: N passed, M failed`, counted in checks."""
from __future__ import annotations

import sys
from dataclasses import dataclass

from conformance.flows import entra, okta
from conformance.flows.runner import Flow, StepResult, run_flow
from conformance.flows.shared import PREMIUM_SEATS
from conformance.server import LiveServer, scratch_server

PASSING = ("SUCCESS", "COMPLIANT", "ACCEPTABLE")
FAILING = ("ERROR", "CRITICAL")
FLOW_ORG_SEATS = 1_000
SEAT_ORG_SEATS = 1


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0

    def add(self, passed: int, failed: int) -> None:
        self.passed += passed
        self.failed += failed


def _say(text: str = "") -> None:
    print(text, flush=True)


def _indent(text: str) -> str:
    return text.replace("\n", "\n      ")


def check_with_scim2_tester(server: LiveServer, tally: Tally) -> None:
    """Only ERROR and CRITICAL fail the run; DEVIATION and SKIPPED are shown, not counted."""
    _say("== scim2-tester")
    try:
        from conformance.scim2_tester_run import run_scim2_tester
        counts, failures = run_scim2_tester(server)
    except Exception as exc:  # the checker itself broke: that is a failed check, not a crash
        _say(f"  ✗ scim2-tester could not run: {type(exc).__name__}: {exc}")
        tally.add(0, 1)
        return
    _say("  " + ", ".join(f"{status} {n}" for status, n in sorted(counts.items())))
    for failure in failures:
        _say(f"  ✗ {_indent(failure)}")
    tally.add(sum(counts[s] for s in PASSING), sum(counts[s] for s in FAILING))


def _credentials(server: LiveServer, flow: Flow) -> dict[str, str]:
    """Each flow gets an org of its own, as each IdP connection is its own tenant, so its
    listings start empty whatever ran before; and a second org with one seat for the
    refusals, which also sells premium seats for the seat type steps."""
    slug = flow.name.lower()
    variables = {
        "token": server.new_org(slug, FLOW_ORG_SEATS),
        "seat_token": server.new_org(f"{slug}-seats", SEAT_ORG_SEATS),
    }
    server.add_seat_type(f"{slug}-seats", "premium", PREMIUM_SEATS)
    if flow.uses_oauth_client:
        variables["client_id"], variables["client_secret"] = server.new_client(slug)
    return variables


def _print_step(result: StepResult) -> None:
    mark = "✓" if result.ok else "✗"
    _say(f"  {mark} {result.step.name}  [{result.request_line}]")
    for reason in result.reasons:
        _say(f"      {reason}")


def check_flow(server: LiveServer, flow: Flow, tally: Tally) -> None:
    _say(f"== {flow.name} flow")
    results = run_flow(flow, server.root_url, _credentials(server, flow), report=_print_step)
    failed_steps = sum(not result.ok for result in results)
    _say(f"  {flow.name}: {len(results) - failed_steps} of {len(results)} steps passed")
    for result in results:
        tally.add(result.passed, result.failed)


def main() -> int:
    tally = Tally()
    with scratch_server() as server:
        check_with_scim2_tester(server, tally)
        for flow in (okta.flow(), entra.flow()):
            check_flow(server, flow, tally)
    _say(f"conformance: {tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
