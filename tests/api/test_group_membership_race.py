"""Concurrent writes to group memberships through the Flask app, on SQLite and PostgreSQL.
Members are rows written one set operation at a time, so concurrent PATCHes of one group
lose nothing; nesting writes are serialised, so two of them cannot build a cycle together;
and a member deleted while it is being added is never left behind as a membership."""
from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.db import Database
from scim.tables import GroupMemberRow, UserRow
from tests.support import Scim, patch_body

THREADS = 8
PER_THREAD = 25
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _race(app: Flask, scim: Scim, jobs: list[Callable[[Scim], list[int]]]) -> list[int]:
    """Runs every job in its own thread with its own test client, all released at once."""
    start = threading.Barrier(len(jobs))

    def run(job: Callable[[Scim], list[int]]) -> list[int]:
        client = dataclasses.replace(scim, client=app.test_client())
        start.wait()
        return job(client)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return [status for statuses in pool.map(run, jobs) for status in statuses]


def _adding(group_id: str, user_ids: list[str]) -> Callable[[Scim], list[int]]:
    """{"op":"add","path":"members","value":[{"value":"<id>"}]}, one PATCH per member."""

    def job(client: Scim) -> list[int]:
        operation = {"op": "add", "path": "members"}
        return [
            client.patch(f"/Groups/{group_id}", patch_body({**operation, "value": [{"value": u}]}))
            .status_code
            for u in user_ids
        ]

    return job


def _removing(group_id: str, user_ids: list[str]) -> Callable[[Scim], list[int]]:
    """Alternates the RFC filter form and Entra's value-list form of a removal."""

    def job(client: Scim) -> list[int]:
        statuses = []
        for index, user_id in enumerate(user_ids):
            operation = (
                {"op": "remove", "path": f'members[value eq "{user_id}"]'}
                if index % 2
                else {"op": "Remove", "path": "members", "value": [{"value": user_id}]}
            )
            statuses.append(client.patch(f"/Groups/{group_id}", patch_body(operation)).status_code)
        return statuses

    return job


def _users(scim: Scim, prefix: str, count: int) -> list[str]:
    return [scim.create(f"{prefix}{i}", active=False)["id"] for i in range(count)]


def _group(scim: Scim, name: str, members: Sequence[str] = ()) -> dict[str, Any]:
    body = {"schemas": [GROUP_URN], "displayName": name, "members": [{"value": m} for m in members]}
    response = scim.post("/Groups", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _members(database: Database, group_id: str) -> set[str]:
    with database.transaction(write=False) as session:
        return set(session.scalars(
            select(GroupMemberRow.member_id).where(GroupMemberRow.group_id == group_id)
        ))


def test_8_threads_adding_25_members_each_to_one_group_lose_none(
    app: Flask, make_scim: Callable[..., Scim], database: Database  # noqa: F811
) -> None:
    scim = make_scim(seats=1)
    users = _users(scim, "adder", THREADS * PER_THREAD)
    group = _group(scim, "Crowded")
    batches = [users[i * PER_THREAD : (i + 1) * PER_THREAD] for i in range(THREADS)]
    statuses = _race(app, scim, [_adding(group["id"], batch) for batch in batches])
    assert statuses == [204] * len(users)
    assert _members(database, group["id"]) == set(users)
    version = scim.get(f"/Groups/{group['id']}").get_json()["meta"]["version"]
    assert version == f'W/"{1 + len(users)}"'  # every membership change moved the version


def test_concurrent_adds_and_removes_of_different_members_all_apply(
    app: Flask, make_scim: Callable[..., Scim], database: Database  # noqa: F811
) -> None:
    scim = make_scim(seats=1)
    leaving = _users(scim, "leaving", THREADS // 2 * PER_THREAD)
    joining = _users(scim, "joining", THREADS // 2 * PER_THREAD)
    group = _group(scim, "Churn", leaving)
    jobs = [
        job(group["id"], ids[i * PER_THREAD : (i + 1) * PER_THREAD])
        for job, ids in ((_removing, leaving), (_adding, joining))
        for i in range(THREADS // 2)
    ]
    statuses = _race(app, scim, jobs)
    assert statuses == [204] * (len(leaving) + len(joining))
    assert _members(database, group["id"]) == set(joining)


def test_two_groups_nested_into_each_other_at_once_never_form_a_cycle(
    app: Flask, make_scim: Callable[..., Scim], database: Database  # noqa: F811
) -> None:
    scim = make_scim()
    pairs = [(_group(scim, f"a{i}")["id"], _group(scim, f"b{i}")["id"]) for i in range(THREADS // 2)]
    jobs = [
        _adding(parent, [child])
        for first, second in pairs
        for parent, child in ((first, second), (second, first))
    ]
    statuses = _race(app, scim, jobs)
    for index, (first, second) in enumerate(pairs):
        assert sorted(statuses[2 * index : 2 * index + 2]) == [204, 400]
        assert len(_members(database, first)) + len(_members(database, second)) == 1


def test_a_user_deleted_while_being_added_leaves_no_membership(
    app: Flask, make_scim: Callable[..., Scim], database: Database  # noqa: F811
) -> None:
    scim = make_scim(seats=THREADS)
    users = _users(scim, "doomed", THREADS // 2)
    groups = [_group(scim, f"g{i}")["id"] for i in range(THREADS // 2)]

    def deleting(user_id: str) -> Callable[[Scim], list[int]]:
        return lambda client: [client.delete(f"/Users/{user_id}").status_code]

    jobs = [job for user_id, group_id in zip(users, groups, strict=True)
            for job in (_adding(group_id, [user_id]), deleting(user_id))]
    statuses = _race(app, scim, jobs)
    for index, group_id in enumerate(groups):
        added, deleted = statuses[2 * index : 2 * index + 2]
        assert deleted == 204 and added in (204, 400)
        assert _members(database, group_id) == set()
    with database.transaction(write=False) as session:
        assert session.scalars(select(UserRow.id).where(UserRow.id.in_(users))).all() == []
