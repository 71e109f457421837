"""Okta's provisioning traffic, in the order an admin's actions produce it, with the request
shapes of Okta's SCIM 2.0 reference ("Okta and SCIM Version 2.0"): a userName lookup with
`startIndex=1&count=100` before each create, whole-object PUT for profile pushes (it always
carries `active`), PATCH `{"op":"replace","value":{"active":false}}` without a path for
deactivation and reactivation, and group push (create, clear the members with an empty
replace, add, rename with the group's own `id` echoed inside the value, delete). Okta never
DELETEs users: it deactivates them."""
from __future__ import annotations

from typing import Any

from conformance.flows.runner import (
    Flow,
    Step,
    absent,
    equals,
    has_element,
    header_contains,
    lacks_element,
)
from conformance.flows.shared import (
    GROUP_URN,
    USER_URN,
    listing,
    patch,
    seat_refusal_steps,
    seat_type_steps,
)

USER_NAME = "Ada.Lovelace@okta.example"
GROUP_NAME = "Okta Analytical Engines"
HEADERS = {
    "Accept": "application/scim+json",
    "Content-Type": "application/scim+json; charset=utf-8",
    "User-Agent": "Okta SCIM Client 1.0.0",
}


def user_body(user_name: str, given: str = "Ada", family: str = "Lovelace") -> dict[str, Any]:
    """What Okta posts: its app profile mapped to core attributes, always `active: true`."""
    return {
        "schemas": [USER_URN],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": user_name.lower(), "type": "work"}],
        "displayName": f"{given} {family}",
        "locale": "en-US",
        "externalId": "00u1okta" + user_name.split("@")[0].replace(".", "").lower(),
        "groups": [],
        "password": "Okta-generated-1",
        "active": True,
    }


def lookup_query(user_name: str) -> dict[str, str]:
    return {"filter": f'userName eq "{user_name}"', "startIndex": "1", "count": "100"}


def set_active(active: bool) -> dict[str, Any]:
    return {"op": "replace", "value": {"active": active}}


def _put_body() -> dict[str, Any]:
    """Okta PUTs back the whole user, `id` included, with the profile change applied."""
    return {**user_body(USER_NAME, family="King"), "id": "{user}", "displayName": "Ada King"}


def _user_steps() -> list[Step]:
    return [
        Step("test connector: first page of users", "GET", "/Users",
             query={"startIndex": "1", "count": "2"},
             checks=listing() + [equals(("startIndex",), 1)]),
        Step("lookup before create finds nobody (200, not 404)", "GET", "/Users",
             query=lookup_query(USER_NAME), checks=listing()),
        Step("create the assigned user", "POST", "/Users", body=user_body(USER_NAME),
             expect=201,
             checks=[equals(("userName",), USER_NAME), equals(("active",), True),
                     absent(("password",)), header_contains("Location", "/scim/v2/Users/")],
             save={"user": ("id",)}),
        Step("lookup in another letter case finds the user", "GET", "/Users",
             query=lookup_query(USER_NAME.upper()),
             checks=listing(total=1) + [equals(("Resources", 0, "id"), "{user}")]),
        Step("import: page of 100 from startIndex 1", "GET", "/Users",
             query={"startIndex": "1", "count": "100"},
             checks=[equals(("startIndex",), 1), equals(("itemsPerPage",), 1),
                     equals(("Resources", 0, "id"), "{user}")]),
        Step("read the user by id", "GET", "/Users/{user}",
             checks=[equals(("id",), "{user}"), equals(("active",), True)]),
        Step("profile push: whole-object PUT keeps active as sent (true)", "PUT", "/Users/{user}",
             body=_put_body(),
             checks=[equals(("active",), True), equals(("name", "familyName"), "King"),
                     equals(("displayName",), "Ada King")]),
        Step("deactivate: PATCH replace value {active: false}", "PATCH", "/Users/{user}",
             body=patch(set_active(False)), checks=[equals(("active",), False)]),
        Step("the deactivated user still reads, inactive", "GET", "/Users/{user}",
             checks=[equals(("active",), False), equals(("displayName",), "Ada King")]),
        Step("reactivate: PATCH replace value {active: true}", "PATCH", "/Users/{user}",
             body=patch(set_active(True)), checks=[equals(("active",), True)]),
    ]


def _group_steps() -> list[Step]:
    return [
        Step("group push: lookup by displayName finds nothing", "GET", "/Groups",
             query={"filter": f'displayName eq "{GROUP_NAME}"', "startIndex": "1",
                    "count": "100"},
             checks=listing()),
        Step("group push: create the group", "POST", "/Groups",
             body={"schemas": [GROUP_URN], "displayName": GROUP_NAME, "members": []},
             expect=201, checks=[equals(("displayName",), GROUP_NAME)],
             save={"group": ("id",)}),
        Step("group push: PATCH replace members [] empties the group", "PATCH",
             "/Groups/{group}",
             body=patch({"op": "replace", "path": "members", "value": []}), expect=(200, 204)),
        Step("group push: add members", "PATCH", "/Groups/{group}",
             body=patch({"op": "add", "path": "members",
                         "value": [{"value": "{user}", "display": USER_NAME}]}),
             expect=(200, 204)),
        Step("the group lists the member", "GET", "/Groups/{group}",
             checks=[has_element(("members",), value="{user}")]),
        Step("rename: PATCH replace value {id, displayName}", "PATCH", "/Groups/{group}",
             body=patch({"op": "replace",
                         "value": {"id": "{group}", "displayName": f"{GROUP_NAME} II"}}),
             expect=(200, 204)),
        Step("the renamed group kept its member", "GET", "/Groups/{group}",
             checks=[equals(("displayName",), f"{GROUP_NAME} II"),
                     has_element(("members",), value="{user}")]),
        Step("unassign: PATCH remove members[value eq id]", "PATCH", "/Groups/{group}",
             body=patch({"op": "remove", "path": 'members[value eq "{user}"]'}),
             expect=(200, 204)),
        Step("the member is gone", "GET", "/Groups/{group}",
             checks=[lacks_element(("members",), value="{user}")]),
        Step("delete the pushed group", "DELETE", "/Groups/{group}", expect=204),
        Step("the deleted group is 404", "GET", "/Groups/{group}", expect=404),
    ]


def flow() -> Flow:
    seats = seat_refusal_steps("okta", user_body, lookup_query, set_active)
    types = seat_type_steps("okta", user_body, _entitlement)
    return Flow("Okta", [*_user_steps(), *_group_steps(), *seats, *types], HEADERS)


def _entitlement(key: str) -> dict[str, Any]:
    """Okta Identity Governance pushes the entitlement's id, display and type."""
    return {"entitlements": [{"value": key, "display": key.title(), "type": "seat"}]}
