"""PostgreSQL restarted under a live server that is taking writes (docs/spec/service-
protection.md, 108-110): while it is down every answer is 503 with Retry-After in each
front end's format, never a 500; the first request after it is back is served; every write
that was answered 201 is still there. On a private cluster (tests/private_postgres.py): the
shared PostgreSQL on 5432 is not touched."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app.console.links import issue_link
from app.db import Database
from app.errors import DATABASE_RETRY_AFTER_SECONDS
from app.migrate import upgrade
from app.settings import Settings
from app.signed_tokens import issue_admin_token
from scim.tables import UserRow
from seats import credentials, orgs
from tests.conftest import DEFAULT_TERM_START, NOW
from tests.live_server import live_server
from tests.private_postgres import Cluster, private_postgres
from tests.support import CREDENTIAL_TTL, CREDENTIAL_TTL_SECONDS

SCIM_JSON = "application/scim+json"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
WAIT_SECONDS = 60


@dataclass
class Load:
    """Creates users one after another from a thread until stopped, recording each answer,
    so that the database goes away and comes back under a stream of writes."""

    base: str
    token: str
    answers: list[tuple[int, str | None]] = field(default_factory=list)  # (status, user id)
    changed: threading.Condition = field(default_factory=threading.Condition)
    stopped: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with requests.Session() as session:
            while not self.stopped.is_set():
                response = session.post(
                    f"{self.base}/scim/v2/Users", timeout=30,
                    headers={"Authorization": f"Bearer {self.token}", "Content-Type": SCIM_JSON},
                    json={"schemas": [USER_URN], "userName": f"load-{uuid.uuid4().hex}"})
                user_id = response.json().get("id") if response.status_code == 201 else None
                with self.changed:
                    self.answers.append((response.status_code, user_id))
                    self.changed.notify_all()

    def wait_for(self, status: int, after: int = 0) -> int:
        """Waits until an answer with `status` comes after the first `after` answers;
        returns how many answers there are then."""
        def seen() -> bool:
            return any(answer == status for answer, _ in self.answers[after:])

        with self.changed:
            assert self.changed.wait_for(seen, timeout=WAIT_SECONDS), self.answers[after:]
            return len(self.answers)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with private_postgres() as started:
        yield started


def _database(cluster: Cluster) -> str:
    admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "scim"'))
    admin.dispose()
    url = make_url(cluster.url).set(database="scim").render_as_string(hide_password=False)
    upgrade(url)
    return url


def _org_and_token(database: Database) -> tuple[str, str]:
    slug = f"restart-{uuid.uuid4().hex[:8]}"
    contract = orgs.NewContract(seats=10_000, unit_price_minor=0, currency="USD",
                                term_start=DEFAULT_TERM_START)
    with database.transaction() as session:
        org = orgs.create_org(session, slug, contract, NOW)
        _, secret = credentials.issue_token(session, org.id, "restart", NOW)
    return slug, secret


def _assert_unavailable_everywhere(base: str, slug: str, token: str) -> None:
    """108: the SCIM API, the admin API and the console while the database is down."""
    settings = Settings(base_url=base)  # the servers run in development mode, with its key
    scim = requests.get(f"{base}/scim/v2/Users", headers={"Authorization": f"Bearer {token}"},
                        timeout=30)
    assert scim.status_code == 503 and scim.headers["Content-Type"].startswith(SCIM_JSON)
    assert scim.json()["schemas"] == [ERROR_URN] and scim.json()["status"] == "503"
    admin = issue_admin_token(settings, slug=slug, role="viewer", sub="v@example.com",
                              ttl_seconds=CREDENTIAL_TTL_SECONDS, now=NOW)
    problem = requests.get(f"{base}/admin/v1/seats", timeout=30,
                           headers={"Authorization": f"Bearer {admin}"})
    assert problem.status_code == 503
    assert problem.headers["Content-Type"] == "application/problem+json"
    assert problem.json()["code"] == "SERVICE_UNAVAILABLE"
    link = issue_link(settings, slug=slug, role="viewer", sub="v@example.com",
                      ttl=CREDENTIAL_TTL, now=NOW)
    page = requests.get(link, timeout=30)
    assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")
    for response in (scim, problem, page):
        assert response.headers["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)


def test_a_restart_under_writes_answers_503_then_serves_again_and_keeps_every_write(
        cluster: Cluster, tmp_path: Path) -> None:
    url = _database(cluster)
    database = Database(url)
    slug, token = _org_and_token(database)
    with live_server(url, log_path=tmp_path / "server.log") as base:
        load = Load(base, token)
        writer = threading.Thread(target=load.run)
        writer.start()
        try:
            load.wait_for(201)
            cluster.stop()
            down = load.wait_for(503)
            _assert_unavailable_everywhere(base, slug, token)
            cluster.start()
            # 109: back at once; four reads so that both workers' pools are exercised
            for _ in range(4):
                read = requests.get(f"{base}/scim/v2/Users", params={"count": 0}, timeout=30,
                                    headers={"Authorization": f"Bearer {token}"})
                assert read.status_code == 200, read.text
            load.wait_for(201, after=down)
        finally:
            load.stopped.set()
            writer.join(timeout=WAIT_SECONDS)
    statuses = {status for status, _ in load.answers}
    assert statuses <= {201, 503}, load.answers  # never a 500
    created = {user_id for status, user_id in load.answers if status == 201}
    with database.transaction(write=False) as session:  # 110: no answered write was lost
        stored = set(session.scalars(select(UserRow.id).where(UserRow.id.in_(created))))
    database.dispose()
    assert stored == created
