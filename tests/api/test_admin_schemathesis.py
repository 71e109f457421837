"""Schemathesis against the admin API in process: every documented operation, for every
role, with requests generated from the served OpenAPI document. A failure means the
document and the server disagree (an undocumented status or content type, a body or a
documented header that does not match its schema, a 405 without `Allow`) or the server
broke (5xx).

Bounded and deterministic: a fixed seed, derandomized generation, no example database and a
cap on examples per operation, so a run costs the same every time and never flakes. Each
test gets a fresh org, so the seats it buys leak into no other test.

Not checked here, on purpose: `positive_data_acceptance` (a schema cannot make a random
cursor, quote id or reused Idempotency-Key acceptable: those refusals depend on state) and
`negative_data_rejection` (the server is lenient by design in places, e.g. `add_seats`
also reads "5")."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from app.factory import create_app
from app.roles import ROLES
from app.settings import Settings
from tests.support import Admin

MAX_EXAMPLES = 20
"""Per operation and role, for the fuzzing phase; the coverage phase adds its own
deterministic boundary cases (empty strings, limits, unsupported methods...)."""
CONFIG = SchemathesisConfig.from_dict({
    "seed": 20260101,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
})
STATEFUL_SCENARIOS = 50
"""Enough for a scenario to reach a purchase: only one of the quote body's three forms
(add_seats alone) is bought without knowing the org's seat types, and the seat type mapping,
seat policy and seat request operations compete for the scenarios' steps."""
STATEFUL_STEPS = 8  # with the seat policy and request operations, 6 steps never reached a purchase
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.unsupported_method,
    schemathesis.checks.allow_header_conformance,
    schemathesis.checks.response_headers_conformance,
]

# The document is read at collection time from an app that never touches its database (it
# is built from routes and settings alone); the requests go to the `app` fixture, once per
# database. schemathesis.pytest.from_fixture is not used: it sets a private attribute of
# pytest items that pytest 9 no longer has.
schema = schemathesis.openapi.from_wsgi(
    "/admin/v1/openapi.json", create_app(Settings(database_url="sqlite://")), config=CONFIG
)


SEATS = 5


def _furnished_org(make_admin: Callable[..., Admin]) -> Admin:
    """A fresh org with something in every list, seen by its primary owner: users with and
    without a seat, and a purchase, so that INV-000001 (the documented example) exists and
    the invoice, user and audit schemas are checked against real entries, not empty lists."""
    owner = make_admin(seats=SEATS)
    owner.scim.create("holder")
    owner.scim.create("waiting", active=False)
    quote = owner.post("/seats/quotes", {"add_seats": 1}).get_json()
    bought = owner.post("/seats/purchases", {"quote_id": quote["id"]},
                        headers={"Idempotency-Key": "seed"})
    assert bought.get_json()["invoice"]["number"] == "INV-000001"
    return owner


@pytest.fixture(params=ROLES)
def role_admin(request: pytest.FixtureRequest, make_admin: Callable[..., Admin]) -> Admin:
    return _furnished_org(make_admin).as_role(request.param)


@schema.parametrize()
# One org per operation and role, shared by that operation's examples: each example's
# request stands alone, and an org per example would cost more than the requests.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_admin_api_conforms_to_its_openapi(case: Any, app: Flask, role_admin: Admin) -> None:
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {role_admin.token}"},
                           checks=CHECKS)


def test_documented_links_lead_to_real_purchases(app: Flask,
                                                 make_admin: Callable[..., Admin]) -> None:
    """The stateful phase: scenarios that follow the document's links (a quote to its
    purchase, a new token to its revocation, the invoice list to an invoice), so responses
    that random ids never reach (201 purchase, 204 revocation) are checked too."""
    owner = _furnished_org(make_admin)
    headers = {"Authorization": f"Bearer {owner.token}"}

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"app": app, "headers": headers}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None,
                              **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, headers=headers)

    Workflow.run(settings=settings(
        max_examples=STATEFUL_SCENARIOS, stateful_step_count=STATEFUL_STEPS, derandomize=True,
        database=None, deadline=None, suppress_health_check=list(HealthCheck),
    ))
    seats = owner.get("/seats").get_json()
    assert seats["total"] > SEATS + 1, "no scenario followed a quote to its purchase"
