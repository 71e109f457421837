"""The console in a real browser: Debian's Chromium driven by Playwright, against a live
`scim-seats serve` on each test database (SQLite, and PostgreSQL when configured). Every
test gets a fresh browser context (its own cookies) and a fresh org; screenshots go to
test-output/browser/<backend>/."""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from app.console.links import issue_link
from app.db import Database
from app.settings import Settings
from app.signed_tokens import issue_admin_token
from seats import credentials, orgs
from seats.clock import utcnow
from tests.conftest import NOW
from tests.live_server import live_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _ensure_chromium() -> None:
    """`make test` installs Chromium first; this covers a bare `pytest` on a fresh machine
    (as root). The lock keeps two xdist workers from running apt at once."""
    if Path(CHROMIUM).exists():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.fail(f"{CHROMIUM} is missing: run `apt-get install -y chromium` (or `make test`)")
    with open("/tmp/scim-seats-chromium-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not Path(CHROMIUM).exists():
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
            subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=True, env=env)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    _ensure_chromium()
    playwright: Playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield launched
        launched.close()
    finally:
        playwright.stop()


def _backend(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of `scim-seats serve` on this session's database."""
    log = tmp_path_factory.mktemp("console-server") / "server.log"
    with live_server(database_url, workers=2, log_path=log) as base:
        yield base


@pytest.fixture(scope="session")
def server_settings(server: str, database_url: str) -> Settings:
    """The settings the server runs with (same environment), to sign links and tokens."""
    return Settings.from_env({**os.environ, "SCIM_DATABASE_URL": database_url,
                              "SCIM_BASE_URL": server})


@dataclass
class Console:
    """One test's org, its browser page and ways to sign in and look at things."""

    page: Page
    base: str
    slug: str
    org_id: str
    settings: Settings
    database: Database
    shots: Path
    scim_token: str

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def link(self, role: str, sub: str = "owner@example.com") -> str:
        return issue_link(self.settings, slug=self.slug, role=role, sub=sub,
                          ttl=timedelta(minutes=5), now=utcnow())

    def admin_token(self, role: str) -> str:
        return issue_admin_token(self.settings, slug=self.slug, role=role,
                                 sub=f"{role}@example.com", ttl_seconds=600, now=utcnow())

    def sign_in_with_link(self, role: str, link: str | None = None) -> None:
        self.page.goto(link or self.link(role))
        self.page.get_by_role("button", name=re.compile("^Sign in to ")).click()
        self.page.wait_for_url(re.compile(r"/console/billing$"))

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def scim(self, method: str, path: str, body: dict | None = None) -> requests.Response:
        return requests.request(method, f"{self.base}/scim/v2{path}", json=body, timeout=10,
                                headers={"Authorization": f"Bearer {self.scim_token}",
                                         "Content-Type": "application/scim+json"})

    def add_user(self, user_name: str, active: bool = True) -> str:
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": user_name, "active": active}
        response = self.scim("POST", "/Users", body)
        assert response.status_code == 201, response.text
        return response.json()["id"]


@pytest.fixture
def make_console(browser: Browser, server: str, server_settings: Settings, database: Database,
                 database_url: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., Console]]:
    """Creates a fresh org with the given seats and contract, and a browser page for it."""
    contexts = []
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.originalname)
    shots = OUTPUT / _backend(database_url) / test_name
    shots.mkdir(parents=True, exist_ok=True)

    def make(seats: int = 5, *, price_minor: int = 30_000, term_start: date | None = None,
             viewport: dict[str, int] = DESKTOP) -> Console:
        slug = f"ui-{uuid.uuid4().hex[:10]}"
        contract = orgs.NewContract(seats=seats, unit_price_minor=price_minor, currency="USD",
                                       term_start=term_start or NOW.date())
        with database.transaction() as session:
            org = orgs.create_org(session, slug, contract, NOW)
            _, secret = credentials.issue_token(session, org.id, "browser-tests", NOW)
        context = browser.new_context(viewport=viewport, base_url=server)
        contexts.append(context)
        context.set_default_timeout(10_000)
        return Console(page=context.new_page(), base=server, slug=slug, org_id=org.id,
                       settings=server_settings, database=database, shots=shots,
                       scim_token=secret)

    yield make
    for context in contexts:
        context.close()
