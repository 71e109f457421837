"""The Enterprise User extension (RFC 7643 §4.3) as IdPs send it: stored under its URN,
validated like core attributes, rendered with its URN in `schemas`, filtered and PATCHed by
full URN path; and the extensions IdPs add on their own accepted and ignored, never a 400."""
from __future__ import annotations

from typing import Any

import pytest

from app.db import Database
from tests.support import (
    USER_URN,
    Scim,
    assert_scim_error,
    patch_body,
    snapshot,
    user_body,
)

ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ADSCIM_URN = "urn:ietf:params:scim:schemas:extension:ADSCIM:2.0:User"
OKTA_URN = "urn:okta:scim-seats:1.0:user:custom"


def _patched(scim: Scim, user_id: str, *operations: dict[str, Any]) -> dict[str, Any]:
    response = scim.patch(f"/Users/{user_id}", patch_body(*operations))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _ids(scim: Scim, filter_text: str) -> set[str]:
    response = scim.get("/Users", filter=filter_text)
    assert response.status_code == 200, response.get_json()
    return {resource["id"] for resource in response.get_json()["Resources"]}


# --- storing and rendering ------------------------------------------------------------------


def test_every_enterprise_attribute_is_stored_and_rendered_under_its_urn(scim: Scim) -> None:
    boss = scim.create("boss@example.com")
    enterprise = {
        "employeeNumber": "701984",
        "costCenter": "4130",
        "organization": "Universal Studios",
        "division": "Theme Park",
        "department": "Tour Operations",
        "manager": {"value": boss["id"], "$ref": f"../Users/{boss['id']}"},
    }
    created = scim.create("bjensen@example.com", **{ENTERPRISE_URN: enterprise})
    assert created["schemas"] == [USER_URN, ENTERPRISE_URN]
    assert created[ENTERPRISE_URN] == enterprise
    assert scim.get(f"/Users/{created['id']}").get_json() == created


def test_a_user_without_enterprise_attributes_lists_only_the_core_schema(scim: Scim) -> None:
    """Entra lists the enterprise URN in `schemas` even when it sends no attribute of it."""
    created = scim.post("/Users", {"schemas": [USER_URN, ENTERPRISE_URN], "userName": "plain",
                                   ENTERPRISE_URN: {}}).get_json()
    assert created["schemas"] == [USER_URN]
    assert ENTERPRISE_URN not in created


def test_the_extension_key_and_its_attribute_names_are_case_insensitive(scim: Scim) -> None:
    created = scim.create("cased", **{ENTERPRISE_URN.lower(): {"DEPARTMENT": "Tours"}})
    assert created[ENTERPRISE_URN] == {"department": "Tours"}


def test_manager_as_a_bare_id_on_post_is_its_value(scim: Scim) -> None:
    """`"manager": "<id>"`, the shape Entra uses in PATCH, is read the same in a POST body."""
    boss = scim.create("boss@example.com")
    created = scim.create("report", **{ENTERPRISE_URN: {"manager": boss["id"]}})
    assert created[ENTERPRISE_URN] == {"manager": {"value": boss["id"]}}


def test_manager_display_name_is_read_only_and_not_stored(scim: Scim) -> None:
    created = scim.create("report", **{ENTERPRISE_URN: {
        "manager": {"value": "m-1", "displayName": "Claimed Boss"}}})
    assert created[ENTERPRISE_URN] == {"manager": {"value": "m-1"}}


def test_put_without_the_extension_removes_it(scim: Scim) -> None:
    created = scim.create("moved", **{ENTERPRISE_URN: {"department": "Tours"}})
    replaced = scim.put(f"/Users/{created['id']}", user_body("moved")).get_json()
    assert ENTERPRISE_URN not in replaced and replaced["schemas"] == [USER_URN]


@pytest.mark.parametrize(
    ("enterprise", "detail"),
    [
        ({"employeeNumber": 701984}, f"{ENTERPRISE_URN}:employeeNumber"),
        ({"manager": {"value": ["a", "b"]}}, f"{ENTERPRISE_URN}:manager.value"),
        ("Tour Operations", f"{ENTERPRISE_URN} must be an object"),
    ],
)
def test_enterprise_values_of_the_wrong_type_are_refused_without_side_effects(
    scim: Scim, database: Database, enterprise: Any, detail: str
) -> None:
    before = snapshot(database, scim.org_id)
    response = scim.post("/Users", user_body("typed", **{ENTERPRISE_URN: enterprise}))
    body = assert_scim_error(response, 400, "invalidValue")
    assert detail in body["detail"]
    assert snapshot(database, scim.org_id) == before


# --- extensions the server does not have ----------------------------------------------------


def test_post_with_entra_adscim_and_okta_custom_extensions_ignores_them(scim: Scim) -> None:
    """POST {"schemas": [core, enterprise, "urn:...:ADSCIM:2.0:User", <Okta custom URN>],
    "urn:...:ADSCIM:2.0:User": {...}, <Okta URN>: {...}}: accepted, the unknown parts dropped."""
    response = scim.post("/Users", {
        "schemas": [USER_URN, ENTERPRISE_URN, ADSCIM_URN, OKTA_URN],
        "userName": "extended@example.com",
        ENTERPRISE_URN: {"department": "Sales"},
        ADSCIM_URN: {"msDS-cloudExtensionAttribute1": "x"},
        OKTA_URN: {"favouriteColour": "teal"},
    })
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["schemas"] == [USER_URN, ENTERPRISE_URN]
    assert ADSCIM_URN not in body and OKTA_URN not in body


def test_put_with_an_unknown_extension_ignores_it(scim: Scim) -> None:
    created = scim.create("put-extended")
    response = scim.put(f"/Users/{created['id']}", {
        "schemas": [USER_URN, OKTA_URN], "userName": "put-extended", "title": "Guide",
        OKTA_URN: {"favouriteColour": "teal"},
    })
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["title"] == "Guide" and OKTA_URN not in response.get_json()


def test_patch_operations_on_an_unknown_extension_are_skipped_and_the_rest_applied(
    scim: Scim,
) -> None:
    """{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:ADSCIM:2.0:User:
    msDS-cloudExtensionAttribute1","value":"x"} next to a core change: the unknown path is
    skipped (not 400 invalidPath), the core change is made."""
    created = scim.create("adscim@example.com")
    body = _patched(
        scim, created["id"],
        {"op": "Add", "path": f"{ADSCIM_URN}:msDS-cloudExtensionAttribute1", "value": "x"},
        {"op": "Replace", "path": "title", "value": "Guide"},
        {"op": "Remove", "path": f"{OKTA_URN}:favouriteColour"},
        {"op": "Replace", "value": {f"{ADSCIM_URN}:employeeType": "contractor",
                                    "nickName": "Ads"}},
    )
    assert (body["title"], body["nickName"]) == ("Guide", "Ads")
    assert ADSCIM_URN not in body and body["schemas"] == [USER_URN]


# --- PATCH by URN path ----------------------------------------------------------------------


def test_entra_add_of_an_enterprise_attribute_by_urn_path(scim: Scim) -> None:
    """{"op":"Add","path":"urn:...:enterprise:2.0:User:department","value":"Sales"}."""
    created = scim.create("sales@example.com")
    body = _patched(scim, created["id"],
                    {"op": "Add", "path": f"{ENTERPRISE_URN}:department", "value": "Sales"})
    assert body[ENTERPRISE_URN] == {"department": "Sales"}
    assert body["schemas"] == [USER_URN, ENTERPRISE_URN]


def test_entra_replace_of_the_manager_by_bare_id_keeps_other_enterprise_attributes(
    scim: Scim,
) -> None:
    """{"op":"Replace","path":"urn:...:manager","value":"26118915-6090-4610-87e4-49d8ca9f808d"}
    after an earlier manager: the new id replaces the old one, department is untouched."""
    first, second = scim.create("first-boss"), scim.create("second-boss")
    created = scim.create("report", **{ENTERPRISE_URN: {"department": "Tours",
                                                        "manager": {"value": first["id"]}}})
    body = _patched(scim, created["id"],
                    {"op": "Replace", "path": f"{ENTERPRISE_URN}:manager", "value": second["id"]})
    assert body[ENTERPRISE_URN] == {"department": "Tours", "manager": {"value": second["id"]}}


def test_okta_replace_of_the_whole_extension_object_by_urn_path(scim: Scim) -> None:
    created = scim.create("okta-ext", **{ENTERPRISE_URN: {"department": "Tours"}})
    body = _patched(scim, created["id"], {"op": "replace", "path": ENTERPRISE_URN,
                                          "value": {"costCenter": "4130"}})
    assert body[ENTERPRISE_URN] == {"department": "Tours", "costCenter": "4130"}


def test_removing_the_last_enterprise_attribute_drops_the_urn_from_schemas(scim: Scim) -> None:
    created = scim.create("leaver", **{ENTERPRISE_URN: {"department": "Tours"}})
    body = _patched(scim, created["id"],
                    {"op": "Remove", "path": f"{ENTERPRISE_URN}:department"})
    assert ENTERPRISE_URN not in body and body["schemas"] == [USER_URN]


def test_patch_with_a_wrongly_typed_enterprise_value_is_refused(
    scim: Scim, database: Database
) -> None:
    created = scim.create("typed")
    before = snapshot(database, scim.org_id)
    response = scim.patch(f"/Users/{created['id']}", patch_body(
        {"op": "add", "path": f"{ENTERPRISE_URN}:manager", "value": {"value": ["a"]}}))
    assert_scim_error(response, 400, "invalidValue")
    assert snapshot(database, scim.org_id) == before


# --- filters by full URN path ---------------------------------------------------------------


def test_filter_on_an_enterprise_attribute_by_full_urn_path(scim: Scim) -> None:
    """`urn:...:enterprise:2.0:User:department eq "tours"`: caseExact false, like the RFC's
    other strings; users without the extension do not match."""
    tours = scim.create("t", **{ENTERPRISE_URN: {"department": "Tours"}})
    scim.create("s", **{ENTERPRISE_URN: {"department": "Sales"}})
    scim.create("none")
    assert _ids(scim, f'{ENTERPRISE_URN}:department eq "tours"') == {tours["id"]}
    assert _ids(scim, f'{ENTERPRISE_URN}:department sw "TO"') == {tours["id"]}


def test_filter_on_the_manager_value_finds_the_direct_reports(scim: Scim) -> None:
    """`urn:...:manager.value eq "<id>"`, and the same as a value filter on manager."""
    boss = scim.create("boss")
    report = scim.create("report", **{ENTERPRISE_URN: {"manager": {"value": boss["id"]}}})
    scim.create("other", **{ENTERPRISE_URN: {"manager": {"value": "someone-else"}}})
    assert _ids(scim, f'{ENTERPRISE_URN}:manager.value eq "{boss["id"]}"') == {report["id"]}
    assert _ids(scim, f'{ENTERPRISE_URN}:manager[value eq "{boss["id"]}"]') == {report["id"]}


def test_filter_on_enterprise_presence_and_absence(scim: Scim) -> None:
    managed = scim.create("managed", **{ENTERPRISE_URN: {"manager": {"value": "m"}}})
    unmanaged = scim.create("unmanaged")
    assert _ids(scim, f"{ENTERPRISE_URN}:manager pr") == {managed["id"]}
    assert _ids(scim, f"not ({ENTERPRISE_URN}:manager pr)") == {unmanaged["id"]}


@pytest.mark.parametrize(
    "filter_text",
    [
        f'{ADSCIM_URN}:employeeType eq "x"',
        f'{ENTERPRISE_URN}:nickName eq "x"',
        f'{ENTERPRISE_URN}:manager eq "x"',
    ],
)
def test_filters_on_what_the_extension_does_not_have_are_invalid(
    scim: Scim, filter_text: str
) -> None:
    assert_scim_error(scim.get("/Users", filter=filter_text), 400, "invalidFilter")


# --- discovery ------------------------------------------------------------------------------


def test_discovery_announces_the_extension_on_the_user_resource_type(scim: Scim) -> None:
    user_type = scim.get("/ResourceTypes/User").get_json()
    assert user_type["schemaExtensions"][0] == {"schema": ENTERPRISE_URN, "required": False}
    schema = scim.get(f"/Schemas/{ENTERPRISE_URN}").get_json()
    names = [attribute["name"] for attribute in schema["attributes"]]
    assert names == ["employeeNumber", "costCenter", "organization", "division", "department",
                     "manager"]
    manager = schema["attributes"][-1]
    assert [(s["name"], s["mutability"]) for s in manager["subAttributes"]] == [
        ("value", "readWrite"), ("$ref", "readWrite"), ("displayName", "readOnly"),
    ]
