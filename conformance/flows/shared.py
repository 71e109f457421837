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
