"""Webhooks go to public addresses only (SSRF), on both databases: a host that resolves to a
loopback, private, link-local, ... address is refused before anything is sent, the event is
settled unsent with the reason and not retried; the POST connects to the address that was
checked, not to a second DNS answer; SCIM_WEBHOOK_ALLOW_PRIVATE=1 (development, the delivery
tests) lets private targets through."""
from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app import delivery
from app.db import Database
from app.settings import Settings
from tests.conftest import NOW, OrgRef
from tests.integration.test_delivery import configure_webhook, emit, rows

REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture(autouse=True)
def private_not_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCIM_WEBHOOK_ALLOW_PRIVATE", raising=False)


@pytest.fixture
def hosts(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[list[str]]]:
    """A fake DNS: name -> its successive answers (the last one repeats); IP literals and
    other names go to the real resolver. `hosts["lookups"]` records the names looked up."""
    answers: dict[str, list[list[str]]] = {"lookups": []}

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        answers["lookups"].append([str(host)])
        if host not in answers:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        queue = answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
             (a, port, 0, 0) if ":" in a else (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def receiver() -> Iterator[dict[str, Any]]:
    """A local endpoint recording the Host header of each POST."""
    seen: dict[str, Any] = {"hosts": [], "port": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            seen["hosts"].append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    seen["port"] = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield seen
    server.shutdown()
    server.server_close()


def never(url: str, body: bytes, headers: Any) -> int:
    raise AssertionError(f"nothing may be sent to {url}")


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.2.1", "::1", "::",
    "fe80::1", "fc00::1", "ff02::1", "::ffff:10.0.0.1", "2002:a00:1::", "64:ff9b::a00:1",
])
def test_non_public_addresses(address: str) -> None:
    assert not delivery.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888",
                                     "::ffff:8.8.8.8"])
def test_public_addresses(address: str) -> None:
    assert delivery.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost:8080/h", "http://2130706433/", "http://0x7f000001/",
    "http://0177.0.0.1/", "http://127.1/", "http://[::1]:9/", "https://[::ffff:127.0.0.1]/",
])
def test_loopback_in_any_spelling_is_refused(url: str) -> None:
    with pytest.raises(delivery.RefusedTarget, match=r"^refused: .+ resolves to a non-public"):
        delivery.resolve_target(url, allow_private=False)
    assert not delivery.is_public(delivery.resolve_target(url, allow_private=True))


def test_a_refused_target_is_settled_unsent_and_not_retried(
    make_org: Callable[..., OrgRef], database: Database, receiver: dict[str, Any]
) -> None:
    org = make_org(10)
    configure_webhook(database, org.id, f"http://127.0.0.1:{receiver['port']}/hooks")
    [event_id] = emit(database, org.id)

    report = delivery.drain(database, NOW)
    assert report.not_sent >= 1  # the outbox is shared: other tests' events may be due too
    [row] = rows(database, [event_id])
    assert (row.delivered_at, row.attempts, row.last_error) == (
        NOW, 0, "refused: 127.0.0.1 resolves to a non-public address")
    assert receiver["hosts"] == []

    delivery.drain(database, NOW + timedelta(days=1))
    assert receiver["hosts"] == []
    assert rows(database, [event_id])[0].attempts == 0


def test_a_host_name_with_any_private_answer_is_refused(
    make_org: Callable[..., OrgRef], database: Database, hosts: dict[str, Any]
) -> None:
    org = make_org(10)
    hosts["mixed.example"] = [["93.184.216.34", "10.1.2.3"]]
    configure_webhook(database, org.id, "https://mixed.example/hooks")
    [event_id] = emit(database, org.id)
    delivery.drain(database, NOW, http_post=never)
    [row] = rows(database, [event_id])
    assert (row.delivered_at, row.attempts) == (NOW, 0)
    assert row.last_error == "refused: mixed.example resolves to a non-public address"


def test_a_host_name_that_does_not_resolve_is_retried(
    make_org: Callable[..., OrgRef], database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unresolvable(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unresolvable)
    org = make_org(10)
    configure_webhook(database, org.id, "https://gone.example/hooks")
    [event_id] = emit(database, org.id)
    delivery.drain(database, NOW, http_post=never)
    [row] = rows(database, [event_id])
    assert row.delivered_at is None and row.attempts == 1
    assert row.last_error.startswith("gaierror: ")
    assert row.next_attempt_at == NOW + timedelta(seconds=30)


def test_the_post_goes_to_the_checked_address_not_a_second_answer(
    make_org: Callable[..., OrgRef], database: Database, hosts: dict[str, Any],
    receiver: dict[str, Any],
) -> None:
    """DNS rebinding: the first answer is checked, a later one would point elsewhere
    (here: an address where nothing listens). The POST still reaches the checked address,
    with the URL's host in the Host header. Private allowed, since the receiver is local."""
    org = make_org(10)
    hosts["rebind.example"] = [["127.0.0.1"], ["192.0.2.1"]]
    url = f"http://rebind.example:{receiver['port']}/hooks"
    configure_webhook(database, org.id, url)
    [event_id] = emit(database, org.id)

    delivery.drain(database, NOW, allow_private=True)
    [row] = rows(database, [event_id])
    assert (row.delivered_at, row.attempts, row.last_error) == (NOW, 1, None)
    assert receiver["hosts"] == [f"rebind.example:{receiver['port']}"]
    assert hosts["lookups"].count(["rebind.example"]) == 1


def test_allow_private_comes_from_the_environment(
    make_org: Callable[..., OrgRef], database: Database, receiver: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    org = make_org(10)
    configure_webhook(database, org.id, f"http://127.0.0.1:{receiver['port']}/hooks")
    [event_id] = emit(database, org.id)
    monkeypatch.setenv("SCIM_WEBHOOK_ALLOW_PRIVATE", "1")
    delivery.drain(database, NOW)
    [row] = rows(database, [event_id])
    assert (row.delivered_at, row.attempts, row.last_error) == (NOW, 1, None)
    assert len(receiver["hosts"]) == 1


def test_the_setting_defaults_to_public_targets_only() -> None:
    assert Settings().webhook_allow_private is False
    assert Settings.from_env({"SCIM_DEV": "1"}).webhook_allow_private is False
    allowed = Settings.from_env({"SCIM_DEV": "1", "SCIM_WEBHOOK_ALLOW_PRIVATE": "1"})
    assert allowed.webhook_allow_private is True
