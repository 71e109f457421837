"""A PostgreSQL cluster of a test's own, on a free port, for tests that stop and start the
database: the shared one on 5432 serves other people. Made the way .ci/run makes its
cluster: the machine's newest binaries under /usr/lib/postgresql, run as the `postgres`
user when the tests run as root (PostgreSQL refuses to run as root)."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.live_server import free_port

SUPERUSER = "postgres"


def _bin_dir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not found:
        raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql "
                           "(Debian: apt-get install postgresql)")
    return found[-1]


def _run(*command: str) -> None:
    """As the `postgres` user when root; the cluster directory belongs to it."""
    if os.geteuid() == 0:
        command = ("su", SUPERUSER, "-s", "/bin/sh", "-c", shlex.join(command))
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@dataclass(frozen=True)
class Cluster:
    data: Path
    port: int

    @property
    def url(self) -> str:
        """The `postgres` maintenance database; tests create theirs in it."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """Returns once the server accepts connections (pg_ctl -w)."""
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        _run(str(_bin_dir() / "pg_ctl"), "-D", str(self.data), "-o", options,
             "-l", str(self.data / "log"), "-w", "start")

    def stop(self) -> None:
        """Fast shutdown: open transactions roll back and connections are closed, as in a
        restart or a failover."""
        _run(str(_bin_dir() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


@contextmanager
def private_postgres() -> Iterator[Cluster]:
    data = Path(tempfile.mkdtemp(prefix="scim-test-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, SUPERUSER)
    cluster = Cluster(data=data, port=free_port())
    try:
        _run(str(_bin_dir() / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
             "-E", "UTF8")
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # never started, or already stopped by the test
        shutil.rmtree(data, ignore_errors=True)
