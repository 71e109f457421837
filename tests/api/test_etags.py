"""ETags (RFC 7644 §3.14): meta.version and the ETag header on every user, If-None-Match
→ 304 on GET, If-Match → 412 on a stale write, checked inside the write transaction."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from app.db import Database
from tests.support import Scim, assert_scim_error, patch_body, snapshot, user_body


def _headers(scim: Scim, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {scim.token}", **extra}


def test_get_with_current_etag_is_304_and_with_stale_is_200(scim: Scim) -> None:
    user = scim.create("etag")
    tag = user["meta"]["version"]
    fresh = scim.client.get(f"/scim/v2/Users/{user['id']}", headers=_headers(scim, **{"If-None-Match": tag}))
    assert fresh.status_code == 304 and fresh.headers["ETag"] == tag and fresh.get_data() == b""
    stale = scim.client.get(f"/scim/v2/Users/{user['id']}", headers=_headers(scim, **{"If-None-Match": 'W/"999"'}))
    assert stale.status_code == 200


def test_stale_if_match_is_412_and_changes_nothing(scim: Scim, database: Database) -> None:
    user = scim.create("careful", title="Old")
    scim.patch(f"/Users/{user['id']}", patch_body({"op": "replace", "path": "title", "value": "Newer"}))
    stale = {"If-Match": user["meta"]["version"]}
    before = snapshot(database, scim.org_id)
    writes = [
        scim.client.put(f"/scim/v2/Users/{user['id']}", json=user_body("careful", title="X"),
                        headers=_headers(scim, **stale)),
        scim.client.patch(f"/scim/v2/Users/{user['id']}", json=patch_body(
            {"op": "replace", "path": "active", "value": False}), headers=_headers(scim, **stale)),
        scim.client.delete(f"/scim/v2/Users/{user['id']}", headers=_headers(scim, **stale)),
    ]
    for response in writes:
        assert_scim_error(response, 412)
    assert snapshot(database, scim.org_id) == before


def test_current_and_star_if_match_write(scim: Scim) -> None:
    user = scim.create("fine")
    current = scim.client.patch(f"/scim/v2/Users/{user['id']}", json=patch_body(
        {"op": "replace", "path": "title", "value": "A"}),
        headers=_headers(scim, **{"If-Match": user["meta"]["version"]}))
    assert current.status_code == 200
    assert current.headers["ETag"] != user["meta"]["version"]
    star = scim.client.put(f"/scim/v2/Users/{user['id']}", json=user_body("fine", title="B"),
                           headers=_headers(scim, **{"If-Match": "*"}))
    assert star.status_code == 200


def test_two_writers_with_the_same_version_one_wins(app: Flask, scim: Scim) -> None:
    """The check runs on the locked row: the second writer sees the first one's version."""
    user = scim.create("contended")
    tag = user["meta"]["version"]

    def write(title: str) -> int:
        client = app.test_client()
        return client.patch(f"/scim/v2/Users/{user['id']}", json=patch_body(
            {"op": "replace", "path": "title", "value": title}),
            headers=_headers(scim, **{"If-Match": tag})).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(write, ["one", "two"]))
    assert statuses == [200, 412]
