"""Compiled filters give the same answers on every real database (SQLite and PostgreSQL):
JSON paths, LIKE escaping, case folding, EXISTS over value rows and NULL handling all
differ between the two, so each case runs against the migrated schema of both."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import Database
from scim.errors import ScimError
from scim.filters import compile_user_filter
from scim.tables import UserRow
from tests.conftest import OrgRef
from tests.support import FILTER_T0 as T0
from tests.support import user_row

EVERYONE = {"Alice", "bob", "carol", "dave", "erin"}


def seed(database: Database, org_id: str) -> None:
    users = [
        (
            {
                "userName": "Alice",
                "externalId": "EXT-A",
                "name": {"givenName": "Alice", "familyName": "Smith"},
                "title": "Growth 50%",
                "emails": [
                    {"value": "alice@Example.com", "type": "work", "primary": True},
                    {"value": "alice@home.org", "type": "home"},
                ],
                "addresses": [{"type": "work", "locality": "Berlin"}],
            },
            T0 + timedelta(days=1),
        ),
        (
            {
                "userName": "bob",
                "externalId": "ext-b",
                "active": False,
                "name": {"givenName": "Bob"},
                "title": "Growth 500",
                "emails": [{"value": "bob@example.com", "type": "home"}],
            },
            T0 + timedelta(days=10),
        ),
        ({"userName": "carol", "displayName": "a_b", "title": "Engineer"}, T0),
        ({"userName": "dave", "displayName": "axb", "title": ""}, T0),
        ({"userName": "erin", "externalId": "EXT-E"}, T0),
    ]
    with database.transaction() as session:
        session.add_all(user_row(org_id, resource, created=T0, modified=modified)
                        for resource, modified in users)


def matches(database: Database, org_id: str, filter_text: str) -> set[str]:
    query = select(UserRow.user_name).where(
        UserRow.org_id == org_id, compile_user_filter(filter_text)
    )
    with database.transaction(write=False) as session:
        return set(session.scalars(query))


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('userName eq "ALICE"', {"Alice"}),
        ('emails.value eq "ALICE@EXAMPLE.COM"', {"Alice"}),
        ('name.givenName sw "B"', {"bob"}),
        ('externalId sw "EXT"', {"Alice", "erin"}),
        ('externalId co "xt-B"', set()),
        ('title co "50%"', {"Alice"}),
        ('displayName co "a_b"', {"carol"}),
        ('emails[type eq "work" and value co "example.com"]', {"Alice"}),
        ('emails[type eq "home"].value ew ".org"', {"Alice"}),
        ('addresses[locality eq "berlin"]', {"Alice"}),
        ('meta.lastModified gt "2026-01-05T00:00:00Z"', {"bob"}),
        ('meta.lastModified ge "2026-01-02T01:00:00+01:00"', {"Alice", "bob"}),
        ("title pr", {"Alice", "bob", "carol"}),
        ("emails pr and active eq true", {"Alice"}),
        ('title ne "Engineer"', EVERYONE - {"carol"}),
        ('not (title eq "Engineer")', EVERYONE - {"carol"}),
        ('not (emails pr) or userName eq "alice" and active eq false', {"carol", "dave", "erin"}),
    ],
)
def test_filters_on_the_real_database(
    database: Database,
    make_org: Callable[..., OrgRef],
    filter_text: str,
    expected: set[str],
) -> None:
    org = make_org()
    seed(database, org.id)
    assert matches(database, org.id, filter_text) == expected


def test_other_orgs_users_are_never_matched(
    database: Database, make_org: Callable[..., OrgRef]
) -> None:
    ours, theirs = make_org(), make_org()
    seed(database, ours.id)
    seed(database, theirs.id)
    assert matches(database, ours.id, 'emails[type eq "work"]') == {"Alice"}


def test_an_invalid_filter_never_reaches_the_database() -> None:
    with pytest.raises(ScimError) as caught:
        compile_user_filter('emails[kind eq "work"]')
    assert (caught.value.status, caught.value.scim_type) == (400, "invalidFilter")
