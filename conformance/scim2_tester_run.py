"""Runs the third-party checker scim2-tester against a live scratch server and reports its
counts; any ERROR or CRITICAL result is a failure."""
from __future__ import annotations

from collections import Counter

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from conformance.server import LiveServer

FAILING = {Status.ERROR, Status.CRITICAL}


def run_scim2_tester(server: LiveServer) -> tuple[Counter[str], list[str]]:
    http = Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.token}"},
                  timeout=30)
    client = SyncSCIMClient(http)
    client.discover()
    results = check_server(client)
    counts = Counter(result.status.name for result in results)
    failures = [
        f"{result.status.name} {result.title}: {result.reason}"
        for result in results if result.status in FAILING
    ]
    return counts, failures
