"""A scratch scim-seats server for conformance runs: a fresh SQLite file, one org and one
token made with the operator's CLI, and `scim-seats serve` as a real process. More orgs and
OAuth clients are made the same way, with the CLI an operator would use, while it runs."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.live_server import NO_REQUEST_LIMITS, live_server

CLI = Path(sys.executable).with_name("scim-seats")
ORG = "conformance"


@dataclass(frozen=True)
class LiveServer:
    root_url: str  # http://127.0.0.1:PORT
    token: str
    database_url: str

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/scim/v2"

    def new_org(self, slug: str, seats: int) -> str:
        """Creates another org and returns a SCIM token for it."""
        _cli(self.database_url, "create-org", slug, "--seats", str(seats))
        return _cli(self.database_url, "issue-token", slug, "--name", slug)

    def add_seat_type(self, slug: str, key: str, seats: int) -> None:
        """A second seat type for the org, ranked above its default."""
        _cli(self.database_url, "seat-type", "add", slug, key, "--name", key.title(),
             "--price-minor", "60000", "--seats", str(seats), "--rank", "10")

    def new_client(self, slug: str) -> tuple[str, str]:
        """An OAuth client of the org: (client_id, client_secret)."""
        lines = _cli(self.database_url, "issue-client", slug).splitlines()
        printed = dict(line.split(":", 1) for line in lines if ":" in line)
        return printed["client_id"].strip(), printed["client_secret"].strip()


def _cli(database_url: str, *args: str) -> str:
    env = {**os.environ, "SCIM_DATABASE_URL": database_url}
    return subprocess.run([str(CLI), *args], env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


@contextmanager
def scratch_server(seats: int = 100_000) -> Iterator[LiveServer]:
    with tempfile.TemporaryDirectory(prefix="scim-conformance-") as folder:
        url = f"sqlite:///{folder}/conformance.db"
        _cli(url, "db", "upgrade")
        _cli(url, "create-org", ORG, "--seats", str(seats), "--price-minor", "30000")
        token = _cli(url, "issue-token", ORG, "--name", "conformance")
        # scim2-tester fires its checks back to back and does not wait for Retry-After
        with live_server(url, log_path=Path(folder) / "server.log",
                         settings=NO_REQUEST_LIMITS) as root:
            yield LiveServer(root, token, url)
