"""Generated hostile requests against the whole app, on both databases: filters of roughly
the right grammar with hostile literals (NUL, lone surrogates, huge, characters that grow
when lower-cased, LIKE wildcards) and odd operators; PATCH bodies; resource ids in the path;
list parameters (filter, startIndex, count, sortBy, sortOrder, attributes, cursor) as query
parameters and as SearchRequest bodies; admin API query parameters.

Properties: no response is a 5xx; every SCIM error is a SCIM error document (RFC 7644 §3.12)
and every admin error a problem document (RFC 9457); and after every request the org's pool
`assigned` equals its number of active users. One org per backend lives through all the
examples, so writes pile up as they would in production. Bounded and derandomized: the same
examples every run (as long as the tests' source stays the same); each test prints how many
requests it sent and what they got back."""
from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.db import Database
from scim.tables import GroupRow, UserRow
from tests.support import (
    PATCH_URN,
    SCIM_JSON,
    USER_URN,
    Admin,
    assert_problem,
    assert_scim_error,
    assert_seat_invariant,
)

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCIM_TYPES = {"invalidFilter", "tooMany", "uniqueness", "mutability", "invalidSyntax",
              "invalidPath", "noTarget", "invalidValue", "invalidVers", "sensitive",
              "invalidCursor", "expiredCursor", "invalidCount"}
EXAMPLES = 150
"""Per test and backend. A filter example sends 2 requests and an admin one 5, so a backend
gets 1,350 requests, in about 20 seconds."""

# --- hostile text ----------------------------------------------------------------------------


def weighted(*choices: tuple[st.SearchStrategy[Any], int]) -> st.SearchStrategy[Any]:
    """One of the strategies, drawn as often as its weight says (`one_of` draws every
    distinct strategy equally often, and the same strategy twice counts once)."""
    return st.sampled_from([s for s, weight in choices for _ in range(weight)]).flatmap(
        lambda strategy: strategy)


UNSTORABLE = st.sampled_from(["\x00", "a\x00b", "\ud800", "\udfff", "x\ud83d", "\ud83d\ude00"])
"""Text no database can store: NUL (PostgreSQL), lone surrogates (not UTF-8)."""
HOSTILE = st.one_of(
    UNSTORABLE,
    st.sampled_from([
        "_", "\\", '"', "'", "*", "é", "\u212a", "ß", "ﬃ", "\U0001F600", "", " ", "\n",
        "2011-05-13T04:42:34Z", "true", "null", "0", "-1", "1e400",
    ]),
    # Long runs, built lazily so hypothesis never prints them: "İ" doubles when lower-cased,
    # "%" doubles when LIKE-escaped, 50,000 bytes is SQLite's LIKE pattern limit.
    st.sampled_from([("İ", 127), ("İ", 128), ("İ", 255), ("İ", 1025), ("İ", 1100), ("%", 3000),
                     ("a", 2048), ("a", 2049), ("a", 50_000), ("\U0001F600", 13_000)])
    .map(lambda run: run[0] * run[1]),
)
NAMES = st.sampled_from(["ada", "bob", "İnci", "carl", "Ops", "ada@example.com", "example.com",
                         "work", "home", "A", "inci"])
TEXT = st.one_of(HOSTILE, NAMES, st.text(max_size=12),
                 st.text(alphabet="İiI%_\x00ß", max_size=40),
                 st.builds(lambda name, hostile: name + hostile, NAMES, HOSTILE))
NUMBER = st.one_of(st.integers(), st.sampled_from([2**31, 2**63, 10**30, -(2**63) - 1]),
                   st.floats(allow_nan=False), st.sampled_from([1e308, -0.0, 1e-320]))
FILTERABLE = st.sampled_from([
    "id", "userName", "USERNAME", "displayName", "title", "active", "externalId",
    "name.givenName", "emails", "emails.value", "emails.type", "emails.primary",
    "phoneNumbers.value", "addresses.postalCode", "meta.created", "meta.lastModified",
    "meta.resourceType", "members", "members.value", "members.type", "nickName",
    f"{USER_URN}:userName", f"{ENTERPRISE_URN}:employeeNumber", f"{ENTERPRISE_URN}:manager.value",
])
ODD_ATTRIBUTES = st.sampled_from([
    "name", "meta.version", "meta.location", "groups", "groups.value", "members.display",
    "password", "x509Certificates.value", f"{ENTERPRISE_URN}:manager", "urn:unknown:x",
    "nosuch", "emails.nosuch", "a.b.c", "$ref", "schemas",
])
ATTRIBUTES = weighted((FILTERABLE, 2), (ODD_ATTRIBUTES, 1))
OPERATORS = st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr", "EQ",
                             "Co"])
STRINGS = st.one_of(
    st.builds(json.dumps, TEXT),  # escapes NUL and surrogates as \u0000, \ud800
    st.builds(lambda t: json.dumps(t, ensure_ascii=False), TEXT),  # raw characters
)
LITERALS = weighted((STRINGS, 4), (NUMBER.map(json.dumps), 1),
                    (st.sampled_from(["true", "false", "null"]), 1))


def _comparison(attribute: str, op: str, literal: str) -> str:
    return f"{attribute} {op}" if op == "pr" else f"{attribute} {op} {literal}"


TEXT_COMPARISONS = st.builds(
    _comparison,
    st.sampled_from(["userName", "displayName", "title", "externalId", "id", "name.givenName",
                     "emails.value", "emails", "phoneNumbers.value", f"{USER_URN}:userName",
                     f"{ENTERPRISE_URN}:employeeNumber", "members.value"]),
    st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "le", "pr"]), STRINGS,
)
"""Comparisons that type-check, so that hostile literals reach the database."""
COMPARISONS = weighted((TEXT_COMPARISONS, 2),
                       (st.builds(_comparison, FILTERABLE, OPERATORS, LITERALS), 1))
SUB_COMPARISONS = st.one_of(
    st.builds(_comparison, st.sampled_from(["value", "type", "display"]), OPERATORS, STRINGS),
    st.builds(_comparison, st.sampled_from(["value", "type", "primary", "VALUE"]), OPERATORS,
              LITERALS),
)
"""What goes between the brackets of a value filter."""
WELL_FORMED = st.recursive(
    weighted(
        (COMPARISONS, 3),
        (st.builds(lambda a, c: f"{a}[{c}]",
                   st.sampled_from(["emails", "phoneNumbers", "members", "emails", "userName"]),
                   SUB_COMPARISONS), 1),
        (st.builds(lambda c, sub, op, literal: _comparison(f"emails[{c}].{sub}", op, literal),
                   SUB_COMPARISONS, st.sampled_from(["value", "type"]), OPERATORS, LITERALS), 1),
    ),
    lambda inner: st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["and", "or", "AND"]),
                  inner),
        inner.map(lambda f: f"not ({f})"),
        inner.map(lambda f: f"({f})"),
    ),
    max_leaves=6,
)
"""The grammar of RFC 7644 §3.4.2.2 with known attributes (literal types may not fit)."""
MALFORMED = st.one_of(
    st.builds(lambda a, b: f"{a} and {b}", WELL_FORMED,
              st.builds(_comparison, ODD_ATTRIBUTES, OPERATORS, LITERALS)),
    st.builds(lambda a, c: f"{a}[{c}]", st.sampled_from(["emails", "userName", "name"]),
              st.builds(_comparison, ATTRIBUTES, OPERATORS, LITERALS)),
    WELL_FORMED.map(lambda f: f"({f}"),
    WELL_FORMED.map(lambda f: f"{f} and"),
    st.builds(lambda a, op, v: f"{a} {op} {v}", ATTRIBUTES,
              st.sampled_from(["eqq", "~", "==", "in", "and", "not", ""]), LITERALS),
    st.builds(lambda a, v: f"{a} eq {v}", ATTRIBUTES, st.one_of(
        st.sampled_from(["True", '"unterminated', "'single'", "1.", "--1", "0x10", "1e999999",
                         '"\\x00"', '"\\u00"', "[]", '"\\ud800\\u0000"']),
        st.integers(4000, 5000).map(lambda digits: "9" * digits),
    )),
)
FILTERS = weighted((WELL_FORMED, 3), (MALFORMED, 1))

LIST_VALUES = weighted(
    (st.integers(-2, 60).map(str), 3), (TEXT, 1), (NUMBER.map(str), 1),
    (st.sampled_from(["", "٣", "²", "1_0", str(2**31), str(2**63), "9" * 40, " 2", "1.5"]), 1),
)
PARAMETERS = st.fixed_dictionaries({}, optional={
    "filter": st.one_of(FILTERS, TEXT),
    "startIndex": LIST_VALUES,
    "count": LIST_VALUES,
    "sortBy": st.one_of(FILTERABLE, ATTRIBUTES, TEXT),
    "sortOrder": st.one_of(st.sampled_from(["ascending", "DESCENDING"]), TEXT),
    "attributes": st.one_of(ATTRIBUTES, st.lists(ATTRIBUTES).map(",".join), TEXT),
    "excludedAttributes": st.one_of(ATTRIBUTES, TEXT),
    "cursor": st.one_of(st.just(""), TEXT, st.sampled_from(["abc.def", "e30.AAAA", "."])),
})
JSON_SCALARS = st.one_of(st.none(), st.booleans(), NUMBER, TEXT)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.one_of(ATTRIBUTES, TEXT), inner, max_size=3)),
    max_leaves=8,
)
SEARCH_VALUES = st.one_of(JSON_VALUES, PARAMETERS.map(lambda p: p.get("filter", "")))

# --- requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # under /scim/v2, percent-encoded
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None


def _segment(text: str) -> str:
    """A path segment as the fuzzer sent it: lone surrogates as their would-be UTF-8 bytes."""
    return quote(text, safe="", errors="surrogatepass")


PATCH_PATHS = st.one_of(
    ATTRIBUTES, TEXT, st.builds(lambda a, f: f"{a}[{f}]", st.sampled_from(["emails", "members",
                                                                           "phoneNumbers"]),
                               FILTERS),
    st.builds(lambda f, s: f"emails[{f}].{s}", FILTERS, st.sampled_from(["value", "type"])),
)
SEAT_OPERATIONS = st.one_of(
    st.builds(lambda op, value: {"op": op, "path": "active", "value": value},
              st.sampled_from(["replace", "add", "Replace"]),
              st.sampled_from([True, False, "True", "False", "true", None, 1, "yes"])),
    st.builds(lambda value: {"op": "replace", "value": {"active": value}},
              st.sampled_from([True, False, "False"])),
    st.just({"op": "remove", "path": "active"}),
)
"""Operations that claim or release seats, the writes the pool invariant is about."""
OPERATIONS = weighted((SEAT_OPERATIONS, 2), (st.fixed_dictionaries(
    {"op": st.one_of(st.sampled_from(["add", "replace", "remove", "Replace", "ADD"]), TEXT)},
    optional={"path": PATCH_PATHS, "value": st.one_of(
        JSON_VALUES, st.dictionaries(ATTRIBUTES, JSON_VALUES, max_size=3),
    )},
), 3))
PATCH_BODIES = st.one_of(
    st.lists(OPERATIONS, min_size=1, max_size=3).map(
        lambda ops: {"schemas": [PATCH_URN], "Operations": ops}),
    JSON_VALUES,
)


PLAIN = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]),
               min_size=1, max_size=20)
AT_THE_LIMIT = st.builds(lambda char, width, over: char * (width // len(char.lower()) + over),
                         st.sampled_from(["İ", "a", "ß"]), st.sampled_from([64, 255, 2048]),
                         st.sampled_from([-1, 0, 1]))
"""Text around the width of a column (type, userName, a multi-valued value) as stored:
"İ" is two characters once lower-cased."""
VALUES = weighted((PLAIN, 3), (TEXT, 1), (AT_THE_LIMIT, 1), (JSON_SCALARS, 1))
"""A body value: most are fine, so that most bodies get as far as the database."""


def _user_bodies() -> st.SearchStrategy[Any]:
    known = st.fixed_dictionaries(
        {"schemas": st.just([USER_URN]), "userName": VALUES},
        optional={"active": weighted((st.booleans(), 3), (JSON_SCALARS, 1)),
                  "emails": st.lists(st.fixed_dictionaries(
                      {"value": VALUES}, optional={"type": VALUES, "primary": st.booleans()}),
                      max_size=2),
                  "displayName": VALUES, "title": VALUES, "externalId": VALUES,
                  ENTERPRISE_URN: st.dictionaries(ATTRIBUTES, JSON_VALUES, max_size=2)},
    )
    return weighted((known, 4), (JSON_VALUES, 1))


def _group_bodies(ids: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {"schemas": st.just([GROUP_URN]), "displayName": VALUES},
        optional={"members": st.lists(st.fixed_dictionaries(
            {"value": weighted((ids, 4), (JSON_SCALARS, 1))},
            optional={"type": weighted((st.sampled_from(["User", "Group", "user"]), 3),
                                       (VALUES, 1))}),
            max_size=3),
            "externalId": VALUES},
    )


def list_requests() -> st.SearchStrategy[Request]:
    endpoints = st.sampled_from(["/Users", "/Groups"])
    searches = st.sampled_from(["/.search", "/Users/.search", "/Groups/.search"])
    return st.one_of(
        st.builds(lambda e, q: Request("GET", e, q), endpoints, PARAMETERS),
        st.builds(lambda e, q: Request("POST", e, body={"schemas": [SEARCH_URN], **q}),
                  searches, PARAMETERS),
        st.builds(lambda e, b: Request("POST", e, body={"schemas": [SEARCH_URN], **b}), searches,
                  st.dictionaries(st.sampled_from(["filter", "startIndex", "count", "sortBy",
                                                   "attributes", "cursor", "excludedAttributes",
                                                   "sortOrder", "COUNT"]),
                                  SEARCH_VALUES, max_size=3)),
    )


EXISTING = st.integers(0, 9).map(lambda n: f"~{n}")
"""The n-th of the org's resources of the path's type when the request is sent: an index,
not an id, so that examples replay alike although resources come and go."""


def resource_requests(members: st.SearchStrategy[str]) -> st.SearchStrategy[Request]:
    """Writes and reads of one resource, by an id that exists or one that is hostile;
    `members` are ids for group bodies."""
    any_id = weighted((EXISTING, 4), (TEXT.filter(bool).map(_segment), 1))
    either = st.sampled_from(["/Users/", "/Groups/"])
    return weighted(
        (st.builds(lambda i, b: Request("PATCH", "/Users/" + i, body=b), any_id, PATCH_BODIES), 4),
        (st.builds(lambda b: Request("POST", "/Users", body=b), _user_bodies()), 3),
        (st.builds(lambda i, b: Request("PUT", "/Users/" + i, body=b), any_id, _user_bodies()), 2),
        (st.builds(lambda e, i: Request("DELETE", e + i), either, any_id), 1),
        (st.builds(lambda e, i: Request("GET", e + i), either, any_id), 1),
        (st.builds(lambda e, i, q: Request("GET", e + i, q), either, EXISTING, PARAMETERS), 1),
        (st.builds(lambda i, b: Request("PATCH", "/Groups/" + i, body=b), any_id,
                   PATCH_BODIES), 1),
        (st.builds(lambda i, b: Request("PUT", "/Groups/" + i, body=b), any_id,
                   _group_bodies(members)), 1),
        (st.builds(lambda b: Request("POST", "/Groups", body=b), _group_bodies(members)), 1),
    )


# --- the properties --------------------------------------------------------------------------


@dataclass
class Tally:
    """What one backend's run sent and got back, printed when the test ends."""

    examples: int = 0
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)

    def count(self, status: int) -> None:
        self.requests += 1
        self.statuses[status] += 1

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


@pytest.fixture
def tally(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Iterator[Tally]:
    counted = Tally()
    yield counted
    with capsys.disabled():
        print(f"\n{request.node.name}: {counted.examples} examples, {counted.requests} requests, "
              f"{counted.server_errors} 5xx, statuses {dict(sorted(counted.statuses.items()))}")


def _query_string(query: dict[str, str]) -> str:
    return "&".join(f"{_segment(k)}={_segment(v)}" for k, v in query.items())


def _assert_scim_answer(request: Request, response: Any) -> None:
    assert response.status_code < 500, (request, response.get_data(as_text=True))
    if response.status_code < 400:
        return
    assert response.mimetype == SCIM_JSON, (request, response.get_data(as_text=True))
    error = assert_scim_error(response, response.status_code, response.get_json().get("scimType"))
    assert error.get("scimType", "invalidValue") in SCIM_TYPES, error


@dataclass(frozen=True)
class Fuzzer:
    """Sends requests as one org's SCIM client and checks the three properties after each.
    `ids` are the resources seeded for it, which group bodies name as members: a list fixed
    for the whole run, since examples must draw alike when hypothesis replays them."""

    admin: Admin
    database: Database
    tally: Tally
    ids: list[str]

    def __call__(self, request: Request) -> None:
        scim = self.admin.scim
        path = f"/scim/v2{self._resolve(request.path)}"
        if request.query:
            path = f"{path}?{_query_string(request.query)}"
        body = None if request.body is None else json.dumps(request.body)
        response = scim.client.open(path, method=request.method, data=body, content_type=SCIM_JSON,
                                    headers={"Authorization": f"Bearer {scim.token}"})
        self.tally.count(response.status_code)
        _assert_scim_answer(request, response)
        assert_seat_invariant(self.database, scim.org_id)

    def _resolve(self, path: str) -> str:
        """`/Users/~3` → the id of the org's fourth user (modulo how many there are)."""
        endpoint, _, last = path.rpartition("/")
        table = {"/Users": UserRow, "/Groups": GroupRow}.get(endpoint)
        if table is None or not re.fullmatch(r"~\d+", last):
            return path
        with self.database.transaction(write=False) as session:
            ids = list(session.scalars(select(table.id).where(
                table.org_id == self.admin.org_id).order_by(table.created_at, table.id)))
        return f"{endpoint}/{ids[int(last[1:]) % len(ids)] if ids else 'none'}"


@pytest.fixture
def fuzz(owner: Admin, database: Database, tally: Tally) -> Fuzzer:
    """Three of the org's five seats are taken at first: creates claim some, then are
    refused; a group holds two of the users."""
    scim = owner.scim
    users = [scim.create(name, emails=[{"value": f"{name}@example.com", "type": "work"}])["id"]
             for name in ("ada", "bob", "İnci")]
    users.append(scim.create("carl", active=False)["id"])
    group = scim.post("/Groups", {"schemas": [GROUP_URN], "displayName": "Ops",
                                  "members": [{"value": user} for user in users[:2]]})
    return Fuzzer(owner, database, tally, [*users, group.get_json()["id"]])


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(request=list_requests())
def test_lists_and_searches_never_fail_on_the_server(fuzz: Fuzzer, request: Request) -> None:
    fuzz.tally.examples += 1
    fuzz(request)


@FUZZ
@given(data=st.data())
def test_resource_reads_and_writes_never_fail_on_the_server(
    fuzz: Fuzzer, data: st.DataObject
) -> None:
    request = data.draw(resource_requests(st.sampled_from(fuzz.ids)))
    fuzz.tally.examples += 1
    fuzz(request)


@FUZZ
@given(filter_text=FILTERS, endpoint=st.sampled_from(["/Users", "/Groups"]))
def test_filters_never_fail_on_the_server(fuzz: Fuzzer, filter_text: str, endpoint: str) -> None:
    fuzz.tally.examples += 1
    fuzz(Request("GET", endpoint, {"filter": filter_text}))
    fuzz(Request("POST", "/.search", body={"schemas": [SEARCH_URN], "filter": filter_text}))


def _admin_value(plain: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly a value the parameter takes, so that the others reach the database too."""
    return weighted((plain, 3), (UNSTORABLE, 1), (HOSTILE, 1), (LIST_VALUES, 1))


ADMIN_QUERIES = st.fixed_dictionaries({}, optional={
    "after": _admin_value(st.integers(0, 50).map(str)),
    "limit": _admin_value(st.integers(1, 500).map(str)),
    "action": _admin_value(st.sampled_from(["seat.claimed", "seat.released", "seat.refused"])),
    "seat": _admin_value(st.sampled_from(["held", "free"])),
    "cursor": _admin_value(st.just("")),
    "x": TEXT,
})
ADMIN_READS = ("/audit", "/users", "/scim-tokens", "/invoices/INV-000001")


@FUZZ
@given(params=ADMIN_QUERIES, segment=TEXT.filter(bool).map(_segment))
def test_admin_queries_never_fail_on_the_server(
    owner: Admin, tally: Tally, params: dict[str, str], segment: str
) -> None:
    """The same query parameters on every admin read; a hostile invoice number in the path."""
    tally.examples += 1
    for path in (*ADMIN_READS, f"/invoices/{segment}"):
        response = owner.client.get(f"/admin/v1{path}?{_query_string(params)}",
                                    headers={"Authorization": f"Bearer {owner.token}"})
        tally.count(response.status_code)
        assert response.status_code < 500, (path, params, response.get_data(as_text=True))
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json", response.get_data()
            assert_problem(response, response.status_code, response.get_json()["code"])
