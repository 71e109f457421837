"""The Group schema's pure parts: reading a group body and its members, compiling group
filters, and the attributes/excludedAttributes projection shared by resources."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.dialects import sqlite

from scim import schemas
from scim.errors import ScimError
from scim.filters import compile_group_filter, compile_user_filter
from scim.groups import MemberRef, group_input, member_refs
from scim.resources import projection

GROUP_URN = schemas.GROUP_SCHEMA


def sql(condition: Any) -> str:
    return str(condition.compile(dialect=sqlite.dialect()))


def test_members_are_read_apart_from_the_stored_document() -> None:
    data = group_input({
        "schemas": [GROUP_URN], "DisplayName": "Ops", "externalId": "e-1", "id": "ignored",
        "Members": [{"VALUE": "u1", "display": "ignored", "$ref": "ignored"}, {"value": "g1", "type": "group"}],
    })
    assert data.document == {"displayName": "Ops", "externalId": "e-1"}
    assert data.members == [MemberRef("u1"), MemberRef("g1", "Group")]


def test_no_members_key_is_not_an_empty_member_list() -> None:
    assert group_input({"displayName": "x"}).members is None
    assert group_input({"displayName": "x", "members": None}).members == []
    assert group_input({"displayName": "x", "members": []}).members == []


def test_a_member_named_twice_is_one_member() -> None:
    assert member_refs([{"value": "a"}, {"value": "a", "type": "User"}]) == [MemberRef("a", "User")]
    assert member_refs({"value": "single"}) == [MemberRef("single")]


@pytest.mark.parametrize(
    "value",
    ["a-bare-id", [{"display": "no value"}], [{"value": ""}], [{"value": 7}],
     [{"value": "a", "type": "Robot"}]],
)
def test_malformed_members_are_invalid_value(value: Any) -> None:
    with pytest.raises(ScimError) as caught:
        member_refs(value)
    assert (caught.value.status, caught.value.scim_type) == (400, "invalidValue")


@pytest.mark.parametrize("body", [{}, {"displayName": ""}, {"displayName": 5}, []])
def test_display_name_is_required(body: Any) -> None:
    with pytest.raises(ScimError) as caught:
        group_input(body)
    assert caught.value.scim_type == "invalidValue"


def test_members_value_filter_is_an_exists_on_the_member_rows() -> None:
    compiled = sql(compile_group_filter('members.value eq "u1"'))
    assert "EXISTS" in compiled and "scim_group_members.member_id = ?" in compiled
    assert "attribute" not in compiled  # the members table holds one attribute only


def test_display_name_eq_uses_the_lowered_column() -> None:
    assert "scim_groups.display_name_norm = ?" in sql(compile_group_filter('displayName eq "X"'))


@pytest.mark.parametrize(
    ("compile_filter", "text"),
    [
        (compile_group_filter, 'members.display eq "x"'),
        (compile_group_filter, 'members.$ref eq "x"'),
        (compile_group_filter, 'meta.version eq "x"'),
        (compile_user_filter, 'groups.value eq "x"'),
        (compile_user_filter, "groups pr"),
    ],
)
def test_attributes_stored_nowhere_cannot_be_filtered(compile_filter: Any, text: str) -> None:
    with pytest.raises(ScimError) as caught:
        compile_filter(text)
    assert caught.value.scim_type == "invalidFilter"


GROUP_RESOURCE = {
    "schemas": [GROUP_URN],
    "id": "g",
    "displayName": "Ops",
    "externalId": "e",
    "members": [{"value": "u", "display": "U", "type": "User"}],
    "meta": {"resourceType": "Group", "version": 'W/"1"'},
}


def test_no_projection_returns_everything() -> None:
    shown = projection(schemas.GROUP_TYPE, None, None)
    assert shown.wants("members") and shown.apply(GROUP_RESOURCE) == GROUP_RESOURCE


def test_excluded_attributes_drop_them_but_never_id() -> None:
    shown = projection(schemas.GROUP_TYPE, None, f"{GROUP_URN}:Members, id, noSuchThing")
    assert not shown.wants("members") and shown.wants("id")
    assert shown.apply(GROUP_RESOURCE) == {
        k: v for k, v in GROUP_RESOURCE.items() if k != "members"
    }


def test_attributes_keep_only_them_plus_id_and_schemas() -> None:
    shown = projection(schemas.GROUP_TYPE, "displayName,members.value", None)
    assert shown.wants("members") and not shown.wants("meta")
    assert shown.apply(GROUP_RESOURCE) == {
        "schemas": [GROUP_URN], "id": "g", "displayName": "Ops", "members": [{"value": "u"}],
    }


def test_excluded_sub_attributes_are_dropped_from_each_element() -> None:
    shown = projection(schemas.GROUP_TYPE, None, "members.display,meta.version")
    projected = shown.apply(GROUP_RESOURCE)
    assert projected["members"] == [{"value": "u", "type": "User"}]
    assert projected["meta"] == {"resourceType": "Group"}
