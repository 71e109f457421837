"""What both IdP flows share: SCIM message URNs, list checks and the seat-refusal steps.
The refusal steps take the IdP's own request shapes, because what matters is how each IdP
reads the answer: a 409 or a `scimType` would tell Okta and Entra the user already exists,
so the check is that a full pool answers 403 `SEAT_LIMIT_REACHED` with neither."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from conformance.flows.runner import (
    Check,
    Step,
    absent,
    equals,
    header_contains,
    includes,
    no_header,
    starts_with,
)

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"

SEAT_TOKEN = "seat_token"
"""The variable holding the token of the flow's second scratch org, the one with one seat."""


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_URN], "Operations": list(operations)}


def listing(*, total: int = 0) -> list[Check]:
    """A ListResponse with `total` resources: an IdP decides between POST and PATCH on
    totalResults alone, so that number is the check that matters."""
    return [includes(("schemas",), LIST_URN), equals(("totalResults",), total)]


def _refused(name: str, method: str, path: str, body: dict[str, Any]) -> Step:
    return Step(
        name, method, path, body=body, auth=SEAT_TOKEN, expect=403,
        checks=[
            includes(("schemas",), ERROR_URN),
            equals(("status",), "403"),
            starts_with(("detail",), "SEAT_LIMIT_REACHED: "),
            absent(("scimType",)),
            header_contains("Content-Type", "application/scim+json"),
            no_header("Retry-After"),
        ],
    )


def seat_refusal_steps(
    idp: str,
    create_body: Callable[[str], dict[str, Any]],
    lookup_query: Callable[[str], Mapping[str, str]],
    set_active: Callable[[bool], dict[str, Any]],
) -> list[Step]:
    """Spec edge cases 1, 13 and 5 as the IdP meets them, in an org with a single seat:
    the second user is refused and not created, a deactivation frees the seat, the IdP's
    retry then succeeds, and reactivating the first user is refused in turn."""
    first, second = f"first@{idp}-seats.example", f"second@{idp}-seats.example"
    return [
        Step(f"[seats] the org's only seat goes to {first}", "POST", "/Users",
             body=create_body(first), auth=SEAT_TOKEN, expect=201,
             checks=[equals(("active",), True)], save={"seat_first": ("id",)}),
        _refused(f"[seats] POST {second} with no free seat: 403 SEAT_LIMIT_REACHED, no scimType",
                 "POST", "/Users", create_body(second)),
        Step("[seats] the refused user was not created", "GET", "/Users",
             query=lookup_query(second), auth=SEAT_TOKEN, checks=listing()),
        Step("[seats] deactivating the first user frees its seat", "PATCH",
             "/Users/{seat_first}", body=patch(set_active(False)), auth=SEAT_TOKEN,
             checks=[equals(("active",), False)]),
        Step("[seats] the IdP's retry of the refused user now succeeds", "POST", "/Users",
             body=create_body(second), auth=SEAT_TOKEN, expect=201,
             checks=[equals(("active",), True)]),
        _refused("[seats] reactivating the first user with no free seat: 403, no scimType",
                 "PATCH", "/Users/{seat_first}", patch(set_active(True))),
        Step("[seats] the refused reactivation left the first user inactive", "GET",
             "/Users/{seat_first}", auth=SEAT_TOKEN, checks=[equals(("active",), False)]),
    ]


SEAT_USER_URN = "urn:scim-seats:params:scim:schemas:extension:seat:1.0:User"
PREMIUM_SEATS = 1
"""Seats of the `premium` type the one-seat org gets for the seat type steps."""


def seat_type_steps(
    idp: str, create_body: Callable[[str], dict[str, Any]], ask: Callable[[str], dict[str, Any]],
) -> list[Step]:
    """docs/spec/seat-types.md as the IdP meets it, in the one-seat org that also sells one
    premium seat: the IdP reads the assignable values from /Entitlements and /Roles, asks for
    premium in its own shape (`ask` gives the attribute: Okta entitlements, Entra roles), gets
    it, and the next request for it is refused naming the type."""
    first, second = f"premium1@{idp}-seats.example", f"premium2@{idp}-seats.example"
    return [
        Step("[seat types] /Entitlements lists the seat types, premium first, by key", "GET",
             "/Entitlements", auth=SEAT_TOKEN,
             checks=[equals(("Resources", 0, "id"), "premium"),
                     equals(("Resources", 1, "id"), "standard")]),
        Step("[seat types] /Roles lists the same keys", "GET", "/Roles", auth=SEAT_TOKEN,
             checks=[equals(("Resources", 0, "id"), "premium")]),
        Step(f"[seat types] {first} asks for premium and gets it", "POST", "/Users",
             body={**create_body(first), **ask("premium")}, auth=SEAT_TOKEN, expect=201,
             save={"premium_first": ("id",)}),
        Step("[seat types] the user shows the premium seat when asked", "GET",
             "/Users/{premium_first}", query={"attributes": SEAT_USER_URN}, auth=SEAT_TOKEN,
             checks=[equals((SEAT_USER_URN, "seatType"), "premium")]),
        Step(f"[seat types] {second} asks for the full premium type: 403 naming it", "POST",
             "/Users", body={**create_body(second), **ask("premium")}, auth=SEAT_TOKEN,
             expect=403,
             checks=[starts_with(("detail",), "SEAT_LIMIT_REACHED: all 1 of 1 premium seats"),
                     absent(("scimType",))]),
    ]
