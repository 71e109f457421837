"""Runs `scim-seats serve` as a real process (gunicorn, several workers) for tests and
benchmarks that must cross HTTP and process boundaries."""
from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.clock import scim_seats_command

UNLIMITED = "1000000 per second"
NO_REQUEST_LIMITS = {"SCIM_RATE_LIMIT_SCIM_TOKEN": UNLIMITED, "SCIM_RATE_LIMIT_SCIM_ORG": UNLIMITED,
                     "SCIM_RATE_LIMIT_ADMIN_TOKEN": UNLIMITED, "SCIM_RATE_LIMIT_ADMIN_ORG": UNLIMITED}
"""Request limits checked on every request but never reached, for servers whose clients send
far more per token than an IdP may: the suite's races, fuzzers and schemathesis, the
benchmarks, and the conformance checker (which does not wait for Retry-After). The tests of
the limits set their own."""
UNLIMITED_SETTINGS = {"scim_token_rate_limit": UNLIMITED, "scim_org_rate_limit": UNLIMITED,
                      "admin_token_rate_limit": UNLIMITED, "admin_org_rate_limit": UNLIMITED}
"""The same as Settings fields, for apps made in process."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(database_url: str, workers: int = 2, log_path: Path | None = None,
                settings: Mapping[str, str] | None = None) -> Iterator[str]:
    """Yields the base URL (http://127.0.0.1:PORT) of a running server; stops it after.
    `settings`: more SCIM_* variables for this server."""
    port = free_port()
    env = {**os.environ, **(settings or {}), "SCIM_DATABASE_URL": database_url,
           "SCIM_BASE_URL": f"http://127.0.0.1:{port}"}
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(
        [*scim_seats_command(), "serve", "--port", str(port), "--workers", str(workers)],
        env=env, stdout=log, stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        if log_path:
            log.close()  # type: ignore[union-attr]


def wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"scim-seats serve exited with {process.returncode}")
        try:
            requests.get(f"{base}/scim/v2/Users", timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("scim-seats serve did not answer in time")
