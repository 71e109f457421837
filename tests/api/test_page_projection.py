"""attributes / excludedAttributes (RFC 7644 §3.9) on a page whose users have different
attributes: one projection renders the whole page, and each user on it must come out
exactly as a GET of that user alone with the same parameters shows it."""
from __future__ import annotations

import pytest

from tests.support import USER_URN, Scim

ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture
def varied(scim: Scim) -> list[str]:
    """Users with different sets of attributes, so that a key first seen on a later user
    of the page is decided as well as the ones on the first."""
    return [
        scim.create("varied-plain")["id"],
        scim.create("varied-named", name={"givenName": "Ann", "familyName": "Lee"},
                    title="Chef")["id"],
        scim.create("varied-mailed", emails=[{"value": "m@example.com", "type": "work"},
                                             {"value": "h@example.com", "type": "home"}],
                    **{ENTERPRISE_URN: {"department": "Ops", "costCenter": "7"}})["id"],
    ]


@pytest.mark.parametrize("params", [
    {},
    {"attributes": "name.givenName,emails.value"},
    {"attributes": f"userName,{ENTERPRISE_URN}:department"},
    {"excludedAttributes": "emails.type,name.familyName,title"},
    {"excludedAttributes": ENTERPRISE_URN},
    {"attributes": "emails", "excludedAttributes": "emails.type"},
])
def test_each_user_of_a_page_is_shown_as_alone(
    scim: Scim, varied: list[str], params: dict[str, str]
) -> None:
    response = scim.get("/Users", filter='userName sw "varied-"', **params)
    assert response.status_code == 200, response.get_json()
    page = {user["id"]: user for user in response.get_json()["Resources"]}
    assert set(page) == set(varied)
    for user_id in varied:
        assert page[user_id] == scim.get(f"/Users/{user_id}", **params).get_json()


def test_sub_attributes_are_cut_alike_on_every_user_of_a_page(
    scim: Scim, varied: list[str]
) -> None:
    page = scim.get("/Users", filter='userName sw "varied-"',
                    attributes="name.givenName,emails.value").get_json()["Resources"]
    assert {u["id"]: {k: v for k, v in u.items() if k != "id"} for u in page} == {
        varied[0]: {"schemas": [USER_URN]},
        varied[1]: {"schemas": [USER_URN], "name": {"givenName": "Ann"}},
        varied[2]: {"schemas": [USER_URN],
                    "emails": [{"value": "m@example.com"}, {"value": "h@example.com"}]},
    }
