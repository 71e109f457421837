"""scim.listing.Plans: the statements of a list query are built once per shape, found again
by SQLAlchemy's cache key of the filter's condition, and the set of shapes kept is bounded;
scim.filters.matches_at_most_one: which filters a plan reads in one statement."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import ColumnClause, String

from scim.filters import (
    GROUP_TARGET,
    USER_TARGET,
    FilterTarget,
    compile_filter,
    compile_user_filter,
    matches_at_most_one,
)
from scim.listing import USERS, ListQuery, Page, Plans


def plan(plans: Plans, text: str, org_id: str = "org") -> tuple[object, dict[str, Any]]:
    query = ListQuery(Page(start_index=1, count=10), filter=text)
    return plans.plan(org_id, [USERS], [compile_user_filter(text)], query)


def test_a_shape_is_planned_once_and_each_query_binds_its_own_values() -> None:
    plans = Plans(size=4)
    first, ada = plan(plans, 'userName eq "Ada"')
    again, bob = plan(plans, 'userName eq "BOB"', org_id="other")
    assert again is first
    assert ada.keys() == bob.keys()  # the keys of the plan's own statement
    assert sorted(ada.values()) == ["ada", "org"] and sorted(bob.values()) == ["bob", "other"]


def test_other_shapes_get_other_plans() -> None:
    plans = Plans(size=4)
    by_name, _ = plan(plans, 'userName eq "ada"')
    assert plan(plans, 'userName sw "ada"')[0] is not by_name
    assert plan(plans, 'userName eq "ada" or userName eq "bob"')[0] is not by_name
    assert plan(plans, 'externalId eq "ada"')[0] is not by_name


def test_the_least_recently_used_shape_is_dropped_beyond_the_size() -> None:
    plans = Plans(size=2)
    eq, _ = plan(plans, 'userName eq "a"')
    sw, _ = plan(plans, 'userName sw "a"')
    assert plan(plans, 'userName eq "b"')[0] is eq  # eq is now the most recent
    plan(plans, 'userName ew "a"')  # a third shape: sw goes
    assert plan(plans, 'userName eq "c"')[0] is eq
    assert plan(plans, 'userName sw "b"')[0] is not sw


@pytest.mark.parametrize(
    ("text", "target", "single"),
    [
        ('userName eq "Ada"', USER_TARGET, True),
        ('USERNAME EQ "Ada"', USER_TARGET, True),
        ('id eq "1"', USER_TARGET, True),
        ('id eq "1"', GROUP_TARGET, True),
        ('userName ne "Ada"', USER_TARGET, False),
        ('userName sw "Ada"', USER_TARGET, False),
        ('userName eq "Ada" or userName eq "Bob"', USER_TARGET, False),
        ('not (userName eq "Ada")', USER_TARGET, False),
        ('externalId eq "Ada"', USER_TARGET, False),
        ('emails.value eq "ada@example.com"', USER_TARGET, False),
        ('displayName eq "Team"', GROUP_TARGET, False),
    ],
)
def test_only_eq_on_a_unique_attribute_matches_at_most_one(
    text: str, target: FilterTarget, single: bool
) -> None:
    assert matches_at_most_one(compile_filter(text, target), target) is single


class _Unkeyed(ColumnClause[str]):
    """A column element that does not say it can be cached (no `inherit_cache`): SQLAlchemy
    gives no cache key to a condition holding one."""

    inherit_cache = False


def test_a_condition_without_a_cache_key_is_planned_for_its_query_alone() -> None:
    plans = Plans(size=4)
    query = ListQuery(Page(start_index=1, count=10), filter='userName eq "ada"')
    condition = _Unkeyed("user_name_norm", String()) == "ada"
    first, parameters = plans.plan("org", [USERS], [condition], query)
    assert parameters == {"org_id": "org"}  # the condition keeps its own value
    assert plans.plan("org", [USERS], [condition], query)[0] is not first
