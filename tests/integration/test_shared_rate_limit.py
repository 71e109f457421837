"""Two server processes count one token's and one org's requests together when they share
a Redis (docs/spec/service-protection.md, 116): the limit is the deployment's, not each
process's. The limit's window (an hour) is far longer than the test, so which request is
refused depends on counts only."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from app.db import Database
from seats import credentials
from tests.conftest import NOW, OrgRef
from tests.live_server import live_server
from tests.private_redis import private_redis

TOKEN_LIMIT = 4
ORG_LIMIT = 6


@pytest.fixture(scope="module")
def servers(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    logs: Path = tmp_path_factory.mktemp("shared-limit")
    with private_redis() as redis_url:
        settings = {"SCIM_RATE_LIMIT_STORAGE": redis_url,
                    "SCIM_RATE_LIMIT_SCIM_TOKEN": f"{TOKEN_LIMIT} per hour",
                    "SCIM_RATE_LIMIT_SCIM_ORG": f"{ORG_LIMIT} per hour"}
        with (live_server(database_url, log_path=logs / "a.log", settings=settings) as first,
              live_server(database_url, log_path=logs / "b.log", settings=settings) as second):
            yield [first, second]


def _token(database: Database, org: OrgRef) -> str:
    with database.transaction() as session:
        return credentials.issue_token(session, org.id, "shared", NOW)[1]


def _get(base: str, token: str) -> requests.Response:
    return requests.get(f"{base}/scim/v2/Users", params={"count": 0}, timeout=30,
                        headers={"Authorization": f"Bearer {token}"})


def test_two_servers_share_one_token_limit_and_one_org_limit(
        servers: list[str], database: Database, make_org: Callable[..., OrgRef]) -> None:
    first, second = servers
    org = make_org()
    token, other_token = _token(database, org), _token(database, org)
    # the token's 4 requests, alternating between the servers: each has seen only 2
    assert [_get(base, token).status_code for base in (first, second) * 2] == [200] * 4
    for base in (first, second):
        refused = _get(base, token)
        assert refused.status_code == 429
        assert refused.json()["status"] == "429"
        assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    # the org's 6: 4 spent above, 2 left for its other token, on either server
    assert [_get(base, other_token).status_code for base in (second, first)] == [200, 200]
    assert _get(second, other_token).status_code == 429
    assert _get(first, _token(database, make_org())).status_code == 200  # another org
