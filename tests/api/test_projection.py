"""attributes / excludedAttributes (RFC 7644 §3.9) on every response that returns a resource:
GET of one and of a list, and POST, PUT and PATCH, for Users and Groups. `returned` decides
first (RFC 7643 §2.2): `id` and `schemas` always, `password` never."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.api.test_groups_api import member_queries
from tests.support import USER_URN, Scim, patch_body, user_body

ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture
def bjensen(scim: Scim) -> dict[str, Any]:
    return scim.create(
        "bjensen@example.com",
        password="t1meMa$heen",
        displayName="Babs Jensen",
        title="Tour Guide",
        name={"givenName": "Barbara", "familyName": "Jensen"},
        emails=[{"value": "bjensen@example.com", "type": "work", "primary": True},
                {"value": "babs@jensen.org", "type": "home"}],
        **{ENTERPRISE_URN: {"department": "Tours", "costCenter": "4130"}},
    )


def _one(scim: Scim, user_id: str, **params: str) -> dict[str, Any]:
    response = scim.get(f"/Users/{user_id}", **params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _listed(scim: Scim, path: str = "/Users", **params: str) -> list[dict[str, Any]]:
    response = scim.get(path, **params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["Resources"]


# --- attributes ----------------------------------------------------------------------------


def test_attributes_returns_them_plus_id_and_schemas(scim: Scim, bjensen: dict[str, Any]) -> None:
    """GET /Users/{id}?attributes=userName,title: meta is returned by default only."""
    assert _one(scim, bjensen["id"], attributes="userName,title") == {
        "schemas": [USER_URN], "id": bjensen["id"], "userName": "bjensen@example.com",
        "title": "Tour Guide",
    }


def test_attribute_names_are_case_insensitive_and_may_carry_the_core_urn(
    scim: Scim, bjensen: dict[str, Any]
) -> None:
    shown = _one(scim, bjensen["id"], attributes=f"USERNAME,{USER_URN}:Title")
    assert set(shown) == {"schemas", "id", "userName", "title"}


def test_sub_attributes_select_within_complex_and_multi_valued_attributes(
    scim: Scim, bjensen: dict[str, Any]
) -> None:
    """attributes=name.givenName,emails.value"""
    shown = _one(scim, bjensen["id"], attributes="name.givenName,emails.value")
    assert shown["name"] == {"givenName": "Barbara"}
    assert shown["emails"] == [{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}]
    assert set(shown) == {"schemas", "id", "name", "emails"}


def test_meta_sub_attributes_can_be_asked_for(scim: Scim, bjensen: dict[str, Any]) -> None:
    shown = _one(scim, bjensen["id"], attributes="meta.lastModified")
    assert shown["meta"] == {"lastModified": bjensen["meta"]["lastModified"]}


def test_enterprise_attributes_by_urn_path_keep_the_extension_in_schemas(
    scim: Scim, bjensen: dict[str, Any]
) -> None:
    """attributes=urn:...:enterprise:2.0:User:department"""
    shown = _one(scim, bjensen["id"], attributes=f"{ENTERPRISE_URN}:department")
    assert shown == {"schemas": [USER_URN, ENTERPRISE_URN], "id": bjensen["id"],
                     ENTERPRISE_URN: {"department": "Tours"}}


def test_the_bare_extension_urn_selects_the_whole_extension(
    scim: Scim, bjensen: dict[str, Any]
) -> None:
    shown = _one(scim, bjensen["id"], attributes=f"userName,{ENTERPRISE_URN}")
    assert shown[ENTERPRISE_URN] == {"department": "Tours", "costCenter": "4130"}


def test_attributes_without_the_extension_drop_its_urn_from_schemas(
    scim: Scim, bjensen: dict[str, Any]
) -> None:
    assert _one(scim, bjensen["id"], attributes="userName")["schemas"] == [USER_URN]


def test_unknown_names_select_nothing_but_id_and_schemas(
    scim: Scim, bjensen: dict[str, Any]
) -> None:
    assert _one(scim, bjensen["id"], attributes="nosuch,urn:x:y:z") == {
        "schemas": [USER_URN], "id": bjensen["id"],
    }


def test_password_is_never_returned_even_when_asked_for(
    scim: Scim, bjensen: dict[str, Any]
) -> None:
    assert "password" not in _one(scim, bjensen["id"], attributes="password,userName")


# --- excludedAttributes --------------------------------------------------------------------


def test_excluded_attributes_drop_them_and_nothing_else(
    scim: Scim, bjensen: dict[str, Any]
) -> None:
    shown = _one(scim, bjensen["id"], excludedAttributes="name,emails")
    assert shown == {k: v for k, v in bjensen.items() if k not in ("name", "emails")}


def test_id_and_schemas_cannot_be_excluded(scim: Scim, bjensen: dict[str, Any]) -> None:
    shown = _one(scim, bjensen["id"], excludedAttributes="id,schemas")
    assert shown["id"] == bjensen["id"] and shown["schemas"] == bjensen["schemas"]


def test_excluded_sub_attributes_and_enterprise_attributes(
    scim: Scim, bjensen: dict[str, Any]
) -> None:
    shown = _one(scim, bjensen["id"], excludedAttributes=f"emails.type,meta.version,"
                                                          f"{ENTERPRISE_URN}:costCenter")
    assert [set(email) for email in shown["emails"]] == [{"value", "primary"}, {"value"}]
    assert "version" not in shown["meta"] and "location" in shown["meta"]
    assert shown[ENTERPRISE_URN] == {"department": "Tours"}


def test_excluding_the_extension_drops_it_and_its_urn(scim: Scim, bjensen: dict[str, Any]) -> None:
    shown = _one(scim, bjensen["id"], excludedAttributes=ENTERPRISE_URN)
    assert ENTERPRISE_URN not in shown and shown["schemas"] == [USER_URN]


# --- lists ---------------------------------------------------------------------------------


def test_list_applies_the_projection_to_every_resource(
    scim: Scim, bjensen: dict[str, Any]
) -> None:
    scim.create("second@example.com", title="Second")
    for resource in _listed(scim, attributes="userName"):
        assert set(resource) == {"schemas", "id", "userName"}
    for resource in _listed(scim, excludedAttributes="meta,userName"):
        assert "meta" not in resource and "userName" not in resource


def test_group_list_applies_the_projection(scim: Scim, bjensen: dict[str, Any]) -> None:
    scim.post("/Groups", {"schemas": [GROUP_URN], "displayName": "Tours",
                          "members": [{"value": bjensen["id"]}]})
    [named] = _listed(scim, "/Groups", attributes="displayName,members.value")
    assert named == {"schemas": [GROUP_URN], "id": named["id"], "displayName": "Tours",
                     "members": [{"value": bjensen["id"]}]}


# --- what is not shown is not read ---------------------------------------------------------


def test_excluded_groups_are_not_read(app: Flask, scim: Scim, bjensen: dict[str, Any]) -> None:
    """excludedAttributes=groups: a user's groups are computed from memberships; a response
    that does not show them must not pay for the query, on GET of one or of a list (groups'
    members: tests/api/test_groups_api.py)."""
    with member_queries(app) as queries:
        _one(scim, bjensen["id"], excludedAttributes="groups")
        _listed(scim, excludedAttributes="groups")
        _one(scim, bjensen["id"], attributes="userName")
    assert queries == []
    with member_queries(app) as queries:
        _one(scim, bjensen["id"])
    assert len(queries) == 1


# --- writes answer with the projection too (RFC 7644 §3.9) ----------------------------------


def test_post_put_and_patch_responses_honour_attributes(scim: Scim) -> None:
    auth = {"Authorization": f"Bearer {scim.token}"}
    created = scim.client.post("/scim/v2/Users?attributes=userName", json=user_body(
        "projected", title="T"), headers=auth, content_type="application/scim+json")
    assert created.status_code == 201
    body = created.get_json()
    assert set(body) == {"schemas", "id", "userName"}
    assert created.headers["Location"].endswith(f"/Users/{body['id']}")
    assert created.headers["ETag"] == 'W/"1"'
    path = f"/scim/v2/Users/{body['id']}"
    replaced = scim.client.put(f"{path}?excludedAttributes=meta", json=user_body(
        "projected", title="U"), headers=auth, content_type="application/scim+json")
    assert "meta" not in replaced.get_json() and replaced.get_json()["title"] == "U"
    patched = scim.client.patch(f"{path}?attributes=title", json=patch_body(
        {"op": "replace", "path": "title", "value": "V"}), headers=auth,
        content_type="application/scim+json")
    assert patched.get_json() == {"schemas": [USER_URN], "id": body["id"], "title": "V"}


def test_group_post_response_honours_excluded_members(scim: Scim, bjensen: dict[str, Any]) -> None:
    response = scim.client.post(
        "/scim/v2/Groups?excludedAttributes=members",
        json={"schemas": [GROUP_URN], "displayName": "Big", "members": [{"value": bjensen["id"]}]},
        headers={"Authorization": f"Bearer {scim.token}"}, content_type="application/scim+json",
    )
    assert response.status_code == 201 and "members" not in response.get_json()
    assert scim.get(f"/Groups/{response.get_json()['id']}").get_json()["members"]
