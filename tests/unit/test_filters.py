"""Filters compiled by scim.filters select exactly the users RFC 7644 §3.4.2.2 says they should.

Each test gets a fresh in-memory SQLite database holding the same small directory, so the
assertions name the full set of matching users rather than "some rows came back"."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from scim.errors import ScimError
from scim.filters import USER_TARGET, FilterTarget, compile_filter, compile_user_filter
from scim.schemas import Attribute, Schema
from scim.tables import UserRow
from seats.base import Base
from seats.models import Org
from tests.support import FILTER_T0 as T0
from tests.support import user_row

ORG_ID = "00000000-0000-0000-0000-00000000000a"
EVERYONE = {"Alice", "bob", "carol", "dave", "erin", "frank"}


def directory(org_id: str) -> list[UserRow]:
    hour = timedelta(hours=1)
    return [
        user_row(
            org_id,
            {
                "userName": "Alice",
                "externalId": "EXT-A",
                "active": True,
                "name": {"givenName": "Alice", "familyName": "Smith"},
                "title": "Engineer",
                "emails": [
                    {"value": "alice@Example.com", "type": "work", "primary": True},
                    {"value": "alice@home.org", "type": "home"},
                ],
                "addresses": [{"type": "work", "locality": "Berlin", "country": "DE"}],
            },
            created=T0,
            modified=T0 + timedelta(days=1),
        ),
        user_row(
            org_id,
            {
                "userName": "bob",
                "externalId": "ext-b",
                "active": False,
                "name": {"givenName": "Bob", "familyName": "Jones"},
                "title": "Manager",
                "emails": [{"value": "bob@example.com", "type": "home"}],
                "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
            },
            created=T0 + hour,
            modified=T0 + timedelta(days=10),
        ),
        user_row(
            org_id,
            {
                "userName": "carol",
                "externalId": "EXT-C",
                "name": {"givenName": "Carol"},
                "title": "Growth 50%",
                "displayName": "a_b",
            },
            created=T0 + 2 * hour,
        ),
        user_row(
            org_id,
            {
                "userName": "dave",
                "title": "Growth 500",
                "displayName": "axb",
                "emails": [{"value": "dave@x.org", "type": "Work"}],
            },
            created=T0 + 3 * hour,
        ),
        user_row(org_id, {"userName": "erin", "title": ""}, created=T0 + 4 * hour),
        user_row(
            org_id,
            {"userName": "frank", "displayName": 'The "Boss"'},
            created=T0 + 5 * hour,
        ),
    ]


def new_engine() -> Engine:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    return engine


@pytest.fixture
def session() -> Iterator[Session]:
    engine = new_engine()
    with Session(engine) as session:
        session.add(Org(id=ORG_ID, slug="acme", created_at=T0))
        session.add_all(directory(ORG_ID))
        session.flush()
        yield session
    engine.dispose()


def matches(session: Session, filter_text: str, target: FilterTarget = USER_TARGET) -> set[str]:
    condition = compile_filter(filter_text, target)
    query = select(UserRow.user_name).where(UserRow.org_id == ORG_ID, condition)
    return set(session.scalars(query))


def assert_invalid(filter_text: str, target: FilterTarget = USER_TARGET) -> ScimError:
    with pytest.raises(ScimError) as caught:
        compile_filter(filter_text, target)
    assert caught.value.status == 400
    assert caught.value.scim_type == "invalidFilter"
    assert caught.value.detail
    return caught.value


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('userName eq "bob"', {"bob"}),
        ('userName ne "bob"', EVERYONE - {"bob"}),
        ('userName co "A"', {"Alice", "carol", "dave", "frank"}),
        ('userName sw "c"', {"carol"}),
        ('userName ew "E"', {"Alice", "dave"}),
        ("userName pr", EVERYONE),
        ('userName gt "dave"', {"erin", "frank"}),
        ('userName ge "dave"', {"dave", "erin", "frank"}),
        ('userName lt "bob"', {"Alice"}),
        ('userName le "bob"', {"Alice", "bob"}),
        ('title eq "Manager"', {"bob"}),
        ('title sw "growth"', {"carol", "dave"}),
        ('title ew "00"', {"dave"}),
        ('title co "ine"', {"Alice"}),
        ('title gt "H"', {"bob"}),
        ('name.givenName eq "carol"', {"carol"}),
        ('name.familyName sw "J"', {"bob"}),
        ("active eq true", EVERYONE - {"bob"}),
        ("active eq false", {"bob"}),
        ("active ne true", {"bob"}),
        ("active pr", EVERYONE),
    ],
)
def test_every_operator(session: Session, filter_text: str, expected: set[str]) -> None:
    assert matches(session, filter_text) == expected


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        # present means not null and, for strings, not empty
        ("title pr", {"Alice", "bob", "carol", "dave"}),
        ("externalId pr", {"Alice", "bob", "carol"}),
        ("name pr", {"Alice", "bob", "carol"}),
        ("name.familyName pr", {"Alice", "bob"}),
        # multi-valued: at least one element
        ("emails pr", {"Alice", "bob", "dave"}),
        ("addresses pr", {"Alice"}),
        ("phoneNumbers.value pr", {"bob"}),
        ("meta pr", EVERYONE),
        ("meta.lastModified pr", EVERYONE),
    ],
)
def test_present(session: Session, filter_text: str, expected: set[str]) -> None:
    assert matches(session, filter_text) == expected


def test_ne_matches_users_without_the_attribute(session: Session) -> None:
    assert matches(session, 'title ne "Engineer"') == EVERYONE - {"Alice"}
    assert matches(session, 'externalId ne "EXT-A"') == EVERYONE - {"Alice"}
    assert matches(session, 'name.familyName ne "smith"') == EVERYONE - {"Alice"}


def test_ne_on_a_multi_valued_attribute_needs_one_other_element_or_none(
    session: Session,
) -> None:
    # Alice's home address is not "alice@example.com"; carol, erin and frank have no email.
    assert matches(session, 'emails ne "alice@example.com"') == EVERYONE
    assert matches(session, 'emails[type eq "work"].value ne "dave@x.org"') == EVERYONE - {"dave"}


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('userName eq "bob" and active eq false', {"bob"}),
        ('userName eq "bob" and active eq true', set()),
        ('userName eq "bob" or userName eq "carol"', {"bob", "carol"}),
        # `and` binds tighter than `or` (the parser alone would read (a or b) and c)
        ('userName eq "alice" or userName eq "bob" and active eq false', {"Alice", "bob"}),
        ('active eq false and userName eq "bob" or userName eq "carol"', {"bob", "carol"}),
        ('(userName eq "alice" or userName eq "bob") and active eq false', {"bob"}),
        (
            'userName eq "erin" or title sw "growth" and displayName eq "axb" or userName eq "bob"',
            {"erin", "dave", "bob"},
        ),
        ('not (active eq true)', {"bob"}),
        # not() of a comparison with a missing attribute is true, not unknown
        ('not (title eq "Engineer")', EVERYONE - {"Alice"}),
        ('not (title pr)', {"erin", "frank"}),
        ('not (emails pr) and not (userName eq "erin")', {"carol", "frank"}),
        ('not (not (userName eq "bob"))', {"bob"}),
        ('not (userName eq "bob" or userName eq "alice") and title pr', {"carol", "dave"}),
        ('((userName eq "bob"))', {"bob"}),
        ('userName EQ "bob" AND active Eq false Or userName eQ "carol"', {"bob", "carol"}),
    ],
)
def test_logical_operators_and_precedence(
    session: Session, filter_text: str, expected: set[str]
) -> None:
    assert matches(session, filter_text) == expected


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('emails[type eq "work" and value co "example.com"]', {"Alice"}),
        ('emails[type eq "work"]', {"Alice", "dave"}),
        ('emails[type eq "home" and primary eq true]', set()),
        ('emails[type eq "home" or primary eq true]', {"Alice", "bob"}),
        ('emails[not (type eq "work")]', {"Alice", "bob"}),
        ('emails[(type eq "work" or type eq "home") and value ew ".org"]', {"Alice", "dave"}),
        ('emails[primary eq true] and title pr', {"Alice"}),
        ('addresses[locality eq "berlin" and country eq "DE"]', {"Alice"}),
        ('addresses[locality eq "Paris"]', set()),
        ('phoneNumbers[type eq "work" and value sw "+1"]', {"bob"}),
        ('name[givenName sw "b" or familyName eq "smith"]', {"Alice", "bob"}),
        ('meta[lastModified gt "2026-01-05T00:00:00Z"]', {"bob"}),
        # the same element must satisfy the whole bracket
        ('emails[type eq "home" and value co "example"]', {"bob"}),
    ],
)
def test_complex_value_filters(session: Session, filter_text: str, expected: set[str]) -> None:
    assert matches(session, filter_text) == expected


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('emails[type eq "work"].value eq "alice@example.com"', {"Alice"}),
        ('emails[type eq "work"].value ew ".org"', {"dave"}),
        ('emails[type eq "home"].value ew ".org"', {"Alice"}),
        ('emails[type eq "home"].value pr', {"Alice", "bob"}),
        ('emails[primary eq true].type eq "WORK"', {"Alice"}),
        ('addresses[type eq "work"].locality eq "Berlin"', {"Alice"}),
    ],
)
def test_value_filter_followed_by_a_sub_attribute(
    session: Session, filter_text: str, expected: set[str]
) -> None:
    assert matches(session, filter_text) == expected


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("emails co \"example\"", {"Alice", "bob"}),
        ('emails eq "alice@example.com"', {"Alice"}),
        ('emails.value eq "ALICE@EXAMPLE.COM"', {"Alice"}),
        ('emails.type eq "work"', {"Alice", "dave"}),
        ('emails.primary eq true', {"Alice"}),
        ('addresses.country eq "de"', {"Alice"}),
    ],
)
def test_multi_valued_attributes_match_any_element(
    session: Session, filter_text: str, expected: set[str]
) -> None:
    assert matches(session, filter_text) == expected


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('meta.lastModified gt "2026-01-05T00:00:00Z"', {"bob"}),
        ('meta.lastModified ge "2026-01-02T00:00:00Z"', {"Alice", "bob"}),
        ('meta.lastModified gt "2026-01-02T00:00:00Z"', {"bob"}),
        ('meta.lastModified eq "2026-01-02T00:00:00Z"', {"Alice"}),
        ('meta.lastModified eq "2026-01-02T01:00:00+01:00"', {"Alice"}),
        ('meta.lastModified lt "2026-01-02T00:00:00Z"', {"carol", "dave", "erin", "frank"}),
        ('meta.created le "2026-01-01T01:00:00Z"', {"Alice", "bob"}),
        ('meta.created gt "2026-01-01T05:30:00+05:30"', {"bob", "carol", "dave", "erin", "frank"}),
        ('meta.created lt "2026-01-01T01:30:00.5"', {"Alice", "bob"}),
    ],
)
def test_date_times_compare_chronologically(
    session: Session, filter_text: str, expected: set[str]
) -> None:
    assert matches(session, filter_text) == expected


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('userName eq "ALICE"', {"Alice"}),
        ('userName sw "AL"', {"Alice"}),
        ('title eq "engineer"', {"Alice"}),
        ('emails.value co "EXAMPLE.COM"', {"Alice", "bob"}),
        ('emails[type eq "WORK"]', {"Alice", "dave"}),
        # externalId is caseExact, and SQLite's LIKE is not, so this checks both paths
        ('externalId eq "EXT-A"', {"Alice"}),
        ('externalId eq "ext-a"', set()),
        ('externalId sw "EXT"', {"Alice", "carol"}),
        ('externalId sw "ext"', {"bob"}),
        ('externalId co "T-"', {"Alice", "carol"}),
        ('externalId co "xt-B"', set()),
        ('externalId ew "-b"', {"bob"}),
        ('externalId ew "-B"', set()),
        ('externalId gt "EXT-B"', {"carol", "bob"}),
    ],
)
def test_case_rules_follow_case_exact(
    session: Session, filter_text: str, expected: set[str]
) -> None:
    assert matches(session, filter_text) == expected


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('title co "50%"', {"carol"}),
        ('title sw "Growth 50%"', {"carol"}),
        ('title ew "0%"', {"carol"}),
        ('displayName co "a_b"', {"carol"}),
        ('displayName eq "a_b"', {"carol"}),
        ('externalId co "%"', set()),
        ('externalId sw "EXT_"', set()),
        ('displayName co "/"', set()),
    ],
)
def test_like_wildcards_in_the_value_match_literally(
    session: Session, filter_text: str, expected: set[str]
) -> None:
    assert matches(session, filter_text) == expected


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob"', {"bob"}),
        ('urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw "c"', {"carol"}),
        ('URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:USERNAME eq "bob"', {"bob"}),
        ('urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "home"]', {"Alice", "bob"}),
        ('USERNAME eq "bob"', {"bob"}),
        ('Name.GivenName eq "bob"', {"bob"}),
        ('EMAILS[TYPE eq "home"].VALUE sw "bob"', {"bob"}),
        ('META.LASTMODIFIED gt "2026-01-05T00:00:00Z"', {"bob"}),
    ],
)
def test_schema_urns_and_attribute_names_are_case_insensitive(
    session: Session, filter_text: str, expected: set[str]
) -> None:
    assert matches(session, filter_text) == expected


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('meta.resourceType eq "User"', EVERYONE),
        ('meta.resourceType eq "Group"', set()),
        ('meta.resourceType ne "User" or userName eq "bob"', {"bob"}),
        ('not (meta.resourceType eq "user")', EVERYONE),
    ],
)
def test_resource_type_is_a_constant(
    session: Session, filter_text: str, expected: set[str]
) -> None:
    assert matches(session, filter_text) == expected


def test_id_and_json_string_escapes(session: Session) -> None:
    bob_id = session.scalars(select(UserRow.id).where(UserRow.user_name == "bob")).one()
    assert matches(session, f'id eq "{bob_id}"') == {"bob"}
    assert matches(session, f'id eq "{bob_id.upper()}"') == set()
    assert matches(session, r'displayName eq "The \"Boss\""') == {"frank"}
    assert matches(session, r'title eq "Growth 50\u0025"') == {"carol"}


def test_the_caller_scopes_by_org(session: Session) -> None:
    other_org = "00000000-0000-0000-0000-00000000000b"
    session.add(Org(id=other_org, slug="other", created_at=T0))
    session.add(user_row(other_org, {"userName": "bob", "emails": [{"value": "bob@example.com"}]}))
    session.flush()
    assert matches(session, 'emails.value eq "bob@example.com"') == {"bob"}
    everywhere = select(UserRow.org_id).where(compile_user_filter('userName eq "bob"'))
    assert set(session.scalars(everywhere)) == {ORG_ID, other_org}


# --- a resource with JSON-stored numbers and booleans, as other resource types may have -----

NUMBERED = Schema(
    id="urn:example:params:scim:schemas:Numbered",
    name="Numbered",
    attributes=(
        Attribute("userName"),
        Attribute("age", type="integer"),
        Attribute("score", type="decimal"),
        Attribute("vip", type="boolean"),
    ),
)
NUMBERED_TARGET = FilterTarget(
    schema=NUMBERED,
    id_column=UserRow.id,
    org_column=UserRow.org_id,
    data=UserRow.data,
    values=USER_TARGET.values,
    columns={"userName": USER_TARGET.columns["userName"]},
)


@pytest.fixture
def numbered(session: Session) -> Session:
    rows = [("n9", 9, 0.5, True), ("n42", 42, 2.5, False), ("n100", 100, 10.25, None)]
    for name, age, score, vip in rows:
        flag = {} if vip is None else {"vip": vip}
        session.add(user_row(ORG_ID, {"userName": name, "age": age, "score": score, **flag}))
    session.flush()
    return session


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("age eq 42", {"n42"}),
        ("age gt 9", {"n42", "n100"}),  # numerically: "100" < "42" < "9" as text
        ("age lt 100", {"n9", "n42"}),
        ("age ge -1", {"n9", "n42", "n100"}),
        ("age le 4.2e1", {"n9", "n42"}),
        ("score gt 2.5", {"n100"}),
        ("score le 2.5", {"n9", "n42"}),
        ("score eq 10.25", {"n100"}),
        ("vip eq true", {"n9"}),
        ("vip ne true", {"n42", "n100"} | EVERYONE),  # the directory's users have no vip
        ("vip pr", {"n9", "n42"}),
        ("age pr and not (vip eq false)", {"n9", "n100"}),
    ],
)
def test_json_numbers_and_booleans_compare_by_type(
    numbered: Session, filter_text: str, expected: set[str]
) -> None:
    assert matches(numbered, filter_text, NUMBERED_TARGET) == expected


@pytest.mark.parametrize(
    "filter_text",
    ['age eq "42"', "age co 4", "vip gt false", "vip eq 1", "score sw 1", "age eq true"],
)
def test_json_numbers_and_booleans_refuse_other_types(filter_text: str) -> None:
    assert_invalid(filter_text, NUMBERED_TARGET)


# --- invalid filters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter_text", "detail"),
    [
        ('nickname eq "x" and nope eq "x"', "Unknown attribute 'nope'"),
        ('name.middle eq "x"', "Unknown sub-attribute 'middle' of name"),
        ('emails.kind eq "x"', "Unknown sub-attribute 'kind' of emails"),
        ('emails[kind eq "x"]', "Unknown sub-attribute 'kind' of emails"),
        ('emails[type eq "work"].kind eq "x"', "Unknown sub-attribute 'kind' of emails"),
        ('title.value eq "x"', "title has no sub-attributes"),
        ('urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x"', "Unknown schema"),
        (
            'urn:ietf:params:scim:schemas:extension:ADSCIM:2.0:User:employeeType eq "1"',
            "Unknown schema",
        ),
        ("password pr", "password cannot be used in a filter"),
        ('password eq "secret"', "password cannot be used in a filter"),
        ('meta.location eq "x"', "meta.location cannot be used in a filter"),
        ('meta.version eq "W/\\"1\\""', "meta.version cannot be used in a filter"),
        ('meta.lastModified gt "yesterday"', "dateTime"),
        ('meta.lastModified gt "2026-13-01T00:00:00Z"', "dateTime"),
        ('meta.created eq 5', "dateTime"),
        ('meta.created eq true', "dateTime"),
        ('meta.created co "2026"', "co needs a string attribute"),
        ('active eq "true"', "active is a boolean"),
        ("active eq 1", "active is a boolean"),
        ("active gt false", "gt cannot compare active"),
        ('active co "t"', "co needs a string attribute"),
        ('emails.primary eq "yes"', "emails.primary is a boolean"),
        ("userName eq true", "userName is a string"),
        ("userName eq 42", "userName is a string"),
        ("title eq null", "null"),
        ('x509Certificates.value gt "a"', "gt cannot compare x509Certificates.value, a binary"),
        ('name eq "x"', "name is complex"),
        ('addresses eq "x"', "addresses has no value"),
        ('title[value eq "x"]', "title is not complex"),
        ('emails.value[type eq "work"]', "not to emails.value"),
        ('emails[value[type eq "x"]]', "cannot be nested"),
        ('emails[type eq "work"].value[type eq "x"] pr', "cannot be nested"),
        ('emails[value[type eq "x"] eq "y"]', "Inside emails[...]"),
        ('emails[emails.value eq "y"]', "Inside emails[...]"),
    ],
)
def test_filters_the_target_cannot_answer_are_invalid(filter_text: str, detail: str) -> None:
    assert detail in assert_invalid(filter_text).detail


def test_long_runs_of_and_compile_without_recursion(session: Session) -> None:
    run = " and ".join(['userName ne "x"'] * 100)
    assert matches(session, run) == EVERYONE


# --- any input at all: a condition or invalidFilter, never another exception ---------------

FRAGMENTS = [
    "userName", "emails", "name", "meta", "title", "active", "addresses", "password", "nope",
    ".value", ".type", ".givenName", ".lastModified", ".x",
    "urn:ietf:params:scim:schemas:core:2.0:User:",
    "eq", "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le", "and", "or", "not",
    "(", ")", "[", "]", '"x"', '"work"', '"2026-01-01T00:00:00Z"', '"a\\"b"', '"%_"',
    "true", "false", "null", "0", "42", "-1.5", " ",
]
_fuzz_engine = new_engine()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.lists(st.sampled_from(FRAGMENTS), max_size=12).map(" ".join),
        st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join),
        st.text(max_size=40),
    )
)
def test_any_input_compiles_or_is_an_invalid_filter(filter_text: str) -> None:
    try:
        condition = compile_user_filter(filter_text)
    except ScimError as exc:
        assert (exc.status, exc.scim_type) == (400, "invalidFilter")
        return
    with Session(_fuzz_engine) as session:
        session.scalars(select(UserRow.id).where(condition)).all()
