"""A scratch scim-seats server for conformance runs: fresh SQLite file, one org, one token,
`scim-seats serve` as a real process. Everything goes through the operator's CLI."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

CLI = Path(sys.executable).with_name("scim-seats")


@dataclass(frozen=True)
class LiveServer:
    base_url: str  # http://127.0.0.1:PORT/scim/v2
    token: str
    env: dict[str, str]

    def cli(self, *args: str) -> str:
        return subprocess.run([str(CLI), *args], env=self.env, check=True, capture_output=True,
                              text=True).stdout.strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"scim-seats serve exited with {process.returncode}")
        try:
            urlopen(url, timeout=5).close()
            return
        except (URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError("scim-seats serve did not answer in time")


@contextmanager
def scratch_server(seats: int = 100_000) -> Iterator[LiveServer]:
    with tempfile.TemporaryDirectory(prefix="scim-conformance-") as folder:
        port = _free_port()
        env = {**os.environ, "SCIM_DATABASE_URL": f"sqlite:///{folder}/conformance.db",
               "SCIM_BASE_URL": f"http://127.0.0.1:{port}"}
        def run(*args: str) -> str:
            return subprocess.run([str(CLI), *args], env=env, check=True, capture_output=True,
                                  text=True).stdout.strip()
        run("db", "upgrade")
        run("create-org", "conformance", "--seats", str(seats), "--price-minor", "30000")
        token = run("issue-token", "conformance", "--name", "conformance")
        log = open(Path(folder) / "server.log", "wb")
        process = subprocess.Popen([str(CLI), "serve", "--port", str(port), "--workers", "2"],
                                   env=env, stdout=log, stderr=log)
        try:
            _wait(f"http://127.0.0.1:{port}/scim/v2/ServiceProviderConfig", process)
            yield LiveServer(f"http://127.0.0.1:{port}/scim/v2", token, env)
        finally:
            process.terminate()
            process.wait(timeout=15)
            log.close()
