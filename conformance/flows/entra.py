"""Microsoft Entra ID's provisioning traffic, with the request shapes of Microsoft's
"Develop and plan provisioning for a SCIM endpoint" and "Known issues and resolutions with
SCIM 2.0 protocol compliance" pages: Test Connection queries a random userName and expects
an empty ListResponse; users are matched by `userName eq`, then `externalId eq`, or by the
work email; PATCH ops come capitalised (`Add`, `Replace`, `Remove`), booleans as the strings
"True"/"False", several attributes in one path-less value whose keys are dotted or full URN
paths, an `Add` on a filtered path that matches no element yet, and the enterprise manager
as a bare id. Groups are read with `excludedAttributes=members`, and members are removed by
a value list. Entra also authenticates with the OAuth client credentials grant, which the
flow exercises first."""
from __future__ import annotations

import uuid
from typing import Any

from conformance.flows.runner import (
    Flow,
    Step,
    absent,
    equals,
    has_element,
    includes,
    lacks_element,
)
from conformance.flows.shared import (
    ENTERPRISE_URN,
    GROUP_URN,
    USER_URN,
    listing,
    patch,
    seat_refusal_steps,
    seat_type_steps,
)

USER_NAME = "Grace.Hopper@entra.example"
EXTERNAL_ID = "5d5c8e5a-1c7e-4b1f-9a57-0c2f3f6a7e01"
GROUP_NAME = "Entra Compiler Team"
HEADERS = {"Accept": "application/scim+json", "Content-Type": "application/scim+json"}
OAUTH_TOKEN = "oauth_token"


def user_body(user_name: str, external_id: str | None = None,
              **enterprise: Any) -> dict[str, Any]:
    """What Entra posts with the default attribute mappings."""
    local = user_name.split("@")[0]
    body: dict[str, Any] = {
        "schemas": [USER_URN, ENTERPRISE_URN],
        "externalId": external_id or str(uuid.uuid5(uuid.NAMESPACE_DNS, user_name)),
        "userName": user_name,
        "active": True,
        "displayName": local.replace(".", " "),
        "emails": [{"primary": True, "type": "work", "value": user_name.lower()}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": local.replace(".", " "), "familyName": local.split(".")[-1],
                 "givenName": local.split(".")[0]},
        "roles": [],
    }
    if enterprise:
        body[ENTERPRISE_URN] = enterprise
    return body


def lookup_query(user_name: str) -> dict[str, str]:
    return {"filter": f'userName eq "{user_name}"'}


def set_active(active: bool) -> dict[str, Any]:
    """Entra's disable: path `active`, the boolean as a capitalised string."""
    return {"op": "Replace", "path": "active", "value": str(active)}


def _oauth_steps(probe: str) -> list[Step]:
    return [
        Step("OAuth: client credentials for an access token", "POST", "/oauth/token",
             under_scim=False, auth=None,
             form={"grant_type": "client_credentials", "client_id": "{client_id}",
                   "client_secret": "{client_secret}"},
             checks=[equals(("token_type",), "Bearer")], save={OAUTH_TOKEN: ("access_token",)}),
        Step("OAuth: Test Connection with the access token", "GET", "/Users",
             query=lookup_query(probe), auth=OAUTH_TOKEN, checks=listing()),
    ]


def _connection_steps(probe: str) -> list[Step]:
    return [
        Step("Test Connection: userName eq a random GUID is an empty ListResponse", "GET",
             "/Users", query=lookup_query(probe),
             checks=listing() + [equals(("Resources",), [])]),
        Step("Test Connection: groups by a random displayName, members excluded", "GET",
             "/Groups", query={"excludedAttributes": "members",
                               "filter": f'displayName eq "{probe}"'},
             checks=listing()),
    ]


def _create_steps() -> list[Step]:
    managers = [("Alan.Turing@entra.example", "manager"), ("Mary.Kenneth@entra.example", "manager2")]
    steps = []
    for user_name, variable in managers:
        steps += [
            Step(f"match {user_name} by userName: no one", "GET", "/Users",
                 query=lookup_query(user_name), checks=listing()),
            Step(f"create {user_name}", "POST", "/Users", body=user_body(user_name),
                 expect=201, save={variable: ("id",)}),
        ]
    return steps + [
        Step("match by userName: no one", "GET", "/Users", query=lookup_query(USER_NAME),
             checks=listing()),
        Step("match by externalId: no one", "GET", "/Users",
             query={"filter": f'externalId eq "{EXTERNAL_ID}"'}, checks=listing()),
        Step("create with the enterprise extension and active true", "POST", "/Users",
             body=user_body(USER_NAME, EXTERNAL_ID, department="Compilers",
                            manager={"value": "{manager}"}),
             expect=201,
             checks=[equals(("active",), True), includes(("schemas",), ENTERPRISE_URN),
                     equals((ENTERPRISE_URN, "department"), "Compilers"),
                     equals((ENTERPRISE_URN, "manager", "value"), "{manager}")],
             save={"user": ("id",)}),
    ]


def _match_steps() -> list[Step]:
    filters = {
        "userName": f'userName eq "{USER_NAME}"',
        "externalId": f'externalId eq "{EXTERNAL_ID}"',
        "work email": f'emails[type eq "work"].value eq "{USER_NAME.lower()}"',
    }
    return [
        Step(f"match by {label} finds the user", "GET", "/Users", query={"filter": text},
             checks=listing(total=1) + [equals(("Resources", 0, "id"), "{user}")])
        for label, text in filters.items()
    ] + [Step("read the user by id", "GET", "/Users/{user}",
              checks=[equals(("userName",), USER_NAME)])]


def _patch_steps() -> list[Step]:
    return [
        Step("PATCH Replace on emails[type eq \"work\"].value and name.familyName", "PATCH",
             "/Users/{user}",
             body=patch(
                 {"op": "Replace", "path": 'emails[type eq "work"].value',
                  "value": "grace.murray@entra.example"},
                 {"op": "Replace", "path": "name.familyName", "value": "Murray Hopper"},
             ),
             checks=[has_element(("emails",), type="work", value="grace.murray@entra.example"),
                     equals(("name", "familyName"), "Murray Hopper")]),
        Step("PATCH Add on phoneNumbers[type eq \"mobile\"].value creates the entry", "PATCH",
             "/Users/{user}",
             body=patch({"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value',
                         "value": "+1 555 0100"}),
             checks=[has_element(("phoneNumbers",), type="mobile", value="+1 555 0100")]),
        Step("PATCH Replace without path: dotted and URN keys", "PATCH", "/Users/{user}",
             body=patch({"op": "Replace", "value": {
                 "displayName": "Grace M. Hopper",
                 "name.givenName": "Amazing Grace",
                 f"{ENTERPRISE_URN}:department": "Research",
                 f"{USER_URN}:title": "Rear Admiral",
             }}),
             checks=[equals(("displayName",), "Grace M. Hopper"),
                     equals(("name", "givenName"), "Amazing Grace"),
                     equals(("name", "familyName"), "Murray Hopper"),
                     equals(("title",), "Rear Admiral"),
                     equals((ENTERPRISE_URN, "department"), "Research")]),
        Step("PATCH Add the manager as a bare id", "PATCH", "/Users/{user}",
             body=patch({"op": "Add", "path": f"{ENTERPRISE_URN}:manager",
                         "value": "{manager2}"}),
             checks=[equals((ENTERPRISE_URN, "manager", "value"), "{manager2}")]),
        Step("PATCH Remove the title", "PATCH", "/Users/{user}",
             body=patch({"op": "Remove", "path": "title"}), checks=[absent(("title",))]),
        Step("disable: PATCH Replace active \"False\" (a string)", "PATCH", "/Users/{user}",
             body=patch(set_active(False)), checks=[equals(("active",), False)]),
        Step("the disabled user reads active false through the filter", "GET", "/Users",
             query=lookup_query(USER_NAME),
             checks=listing(total=1) + [equals(("Resources", 0, "active"), False)]),
    ]


def _group_steps() -> list[Step]:
    return [
        Step("match the group by displayName, members excluded: none", "GET", "/Groups",
             query={"excludedAttributes": "members", "filter": f'displayName eq "{GROUP_NAME}"'},
             checks=listing()),
        Step("create the group", "POST", "/Groups",
             body={"schemas": [GROUP_URN], "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                   "displayName": GROUP_NAME, "meta": {"resourceType": "Group"}},
             expect=201, checks=[equals(("displayName",), GROUP_NAME)],
             save={"group": ("id",)}),
        Step("PATCH Add members", "PATCH", "/Groups/{group}",
             body=patch({"op": "Add", "path": "members",
                         "value": [{"value": "{user}"}, {"value": "{manager}"}]}),
             expect=(200, 204)),
        Step("read the group by id, members excluded", "GET", "/Groups/{group}",
             query={"excludedAttributes": "members"},
             checks=[equals(("displayName",), GROUP_NAME), absent(("members",))]),
        Step("PATCH Remove members by a value list", "PATCH", "/Groups/{group}",
             body=patch({"op": "Remove", "path": "members", "value": [{"value": "{manager}"}]}),
             expect=(200, 204)),
        Step("only the listed member was removed", "GET", "/Groups/{group}",
             checks=[has_element(("members",), value="{user}"),
                     lacks_element(("members",), value="{manager}")]),
        Step("PATCH Replace displayName", "PATCH", "/Groups/{group}",
             body=patch({"op": "Replace", "path": "displayName", "value": f"{GROUP_NAME} 2"}),
             expect=(200, 204)),
        Step("delete the group", "DELETE", "/Groups/{group}", expect=204),
    ]


def _delete_steps() -> list[Step]:
    return [
        Step("delete the user", "DELETE", "/Users/{user}", expect=204),
        Step("the deleted user is 404", "GET", "/Users/{user}", expect=404),
        Step("and no longer matches", "GET", "/Users", query=lookup_query(USER_NAME),
             checks=listing()),
    ]


def _app_role(key: str) -> dict[str, Any]:
    """An app-role assignment as Entra's default mapping sends it (appRoleAssignments →
    roles): the app role's value, a string `primary`, Entra's own type."""
    return {"roles": [{"primary": "False", "type": "WindowsAzureActiveDirectoryRole",
                       "value": key}]}


def flow() -> Flow:
    """The Test Connection probe is a fresh GUID each run, as Entra's is."""
    probe = str(uuid.uuid4())
    steps = [
        *_oauth_steps(probe), *_connection_steps(probe), *_create_steps(), *_match_steps(),
        *_patch_steps(), *_group_steps(), *_delete_steps(),
        *seat_refusal_steps("entra", user_body, lookup_query, set_active),
        *seat_type_steps("entra", user_body, _app_role),
    ]
    return Flow("Entra", steps, HEADERS, space_as_plus=True, uses_oauth_client=True)
