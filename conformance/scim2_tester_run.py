"""Runs the third-party checker scim2-tester against a live scratch server and reports its
counts; any ERROR or CRITICAL result is a failure."""
from __future__ import annotations

from collections import Counter

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import CheckResult, Status, check_server

from conformance.server import LiveServer
from scim.schemas import SEAT_USER_SCHEMA

FAILING = {Status.ERROR, Status.CRITICAL}
WRITABLE = ["User", "Group"]
"""The resource types scim2-tester creates, replaces and deletes. /Roles and /Entitlements
list the org's seat types read-only (an IdP reads them; seat types are a contract matter),
which scim2-tester's CRUD checks cannot tell from a broken endpoint; tests/api/
test_seat_types_discovery.py checks them, and discovery still checks their announcements."""


def _read_only_extension(result: CheckResult) -> bool:
    """scim2-tester PATCHes an extension as one attribute of the extension's own (default,
    readWrite) mutability, even when every attribute in it is readOnly, as in the seat
    extension: it sends an empty object and expects one back. Such a write changes nothing
    (RFC 7644 §3.5.2: readOnly values are ignored) and is not a failure of the server."""
    data = result.data if isinstance(result.data, dict) else {}
    return data.get("urn") == SEAT_USER_SCHEMA


def run_scim2_tester(server: LiveServer) -> tuple[Counter[str], list[str]]:
    http = Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.token}"},
                  timeout=30)
    client = SyncSCIMClient(http)
    client.discover()
    results = [r for r in check_server(client, resource_types=WRITABLE)
               if not _read_only_extension(r)]
    counts = Counter(result.status.name for result in results)
    failures = [
        f"{result.status.name} {result.title}: {result.reason}"
        for result in results if result.status in FAILING
    ]
    return counts, failures
