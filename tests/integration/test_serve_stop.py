"""Ctrl-C on `make run`: SIGINT reaches the whole process group (make, the gunicorn master,
its workers). The server must stop at once, even with a request in flight, and not end with
the master SIGKILLing a worker after its graceful timeout."""
from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

from app.db import Database
from app.migrate import upgrade
from seats import credentials, orgs
from tests.clock import scim_seats_command
from tests.conftest import NOW
from tests.live_server import free_port, wait_until_up

GRACEFUL_TIMEOUT_S = 5  # app/server.py: after this the master SIGKILLs a worker


def _org_token(url: str) -> str:
    db = Database(url)
    try:
        with db.transaction() as session:
            contract = orgs.NewContract(seats=5, unit_price_minor=0, currency="USD",
                                           term_start=NOW.date())
            org = orgs.create_org(session, "stop", contract, NOW)
            return credentials.issue_token(session, org.id, "stop", NOW)[1]
    finally:
        db.dispose()


def _post_user(port: int, token: str) -> socket.socket:
    """Sends a create without waiting for the answer: the request stays in flight."""
    body = b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x@example.com"}'
    head = (f"POST /scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/scim+json\r\nContent-Length: {len(body)}\r\n\r\n")
    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(head.encode() + body)
    return conn


def test_sigint_to_the_group_stops_at_once_with_a_request_in_flight(tmp_path: Path) -> None:
    path = tmp_path / "scim.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    token = _org_token(url)
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "SCIM_DATABASE_URL": url, "SCIM_BASE_URL": f"http://127.0.0.1:{port}"}
    with open(log, "wb") as out:
        server = subprocess.Popen([*scim_seats_command(), "serve", "--port", str(port)], env=env,
                                  stdout=out, stderr=out, start_new_session=True)
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", server)
        writer.execute("BEGIN IMMEDIATE")  # the create below waits for this lock
        with _post_user(port, token):
            time.sleep(0.5)  # let a worker take the request up and block on the lock
            os.killpg(server.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
            assert server.wait(timeout=GRACEFUL_TIMEOUT_S - 1) == 0
    finally:
        writer.close()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    text = log.read_text()
    assert "Shutting down: Master" in text and "SIGKILL" not in text
