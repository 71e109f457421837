"""The benchmark's memory phase (`BENCH_MEMORY=1`): each gunicorn worker's resident memory
while it serves many requests and while one client walks the whole directory page by page.

Why: the speed issue asks that a worker's RSS stay flat under both. A leak per request, or a
cache that grows with the directory, shows as growth that continues after the caches every
process fills in its first requests: so those first requests are a warm-up phase of their
own, and the growth to judge is that of the phases after it.

RSS is read from /proc/<pid>/status (VmRSS) of the server's master's children, every half
second, in a thread of this process.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import requests

SAMPLE_EVERY_S = 0.5
RECONNECT_EVERY = 100  # pages: a keep-alive connection stays on one worker; spread the walk
PAGE_SIZE = 100


@dataclass(frozen=True)
class MemoryRow:
    phase: str
    pid: int
    start_kb: int
    peak_kb: int
    end_kb: int


def worker_pids(master: int) -> list[int]:
    """The children of the gunicorn master: its workers."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _parent(int(entry)) == master:
            pids.append(int(entry))
    return sorted(pids)


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2:].split()[1])  # the command may hold spaces


def rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Sampler:
    """Samples every worker of `master` until stopped; a worker that gunicorn replaces in
    the phase shows as a row of its own."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.traces: dict[int, list[int]] = {}  # pid: RSS samples, kB
        self.began = self.ended = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for pid in worker_pids(self.master):
            rss = rss_kb(pid)
            if rss is not None:
                self.traces.setdefault(pid, []).append(rss)

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            self._sample()

    def start(self) -> None:
        self.began = time.monotonic()
        self._sample()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.ended = time.monotonic()

    def rows(self, phase: str) -> list[MemoryRow]:
        return [MemoryRow(phase, pid, trace[0], max(trace), trace[-1])
                for pid, trace in sorted(self.traces.items())]


@contextmanager
def sampling(master: int) -> Iterator[Sampler]:
    sampler = Sampler(master)
    sampler.start()
    try:
        yield sampler
    finally:
        sampler.stop()


@dataclass(frozen=True)
class Walk:
    pages: int
    users: int
    total: int  # totalResults of the first page
    seconds: float


def walk_users(scim_base: str, token: str, max_pages: int = 0) -> Walk:
    """Every user, page by page with RFC 9865 cursors (`cursor=` then each `nextCursor`):
    the way an IdP or an export reads a whole directory, at constant cost per page.
    `max_pages` (0: no limit) stops it early, for a shorter run."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}
    pages = users = total = 0
    cursor: str | None = ""
    began = time.perf_counter()
    session = requests.Session()
    while cursor is not None and (not max_pages or pages < max_pages):
        if pages and pages % RECONNECT_EVERY == 0:
            session.close()
            session = requests.Session()
        answer = session.get(f"{scim_base}/Users", headers=headers, timeout=120,
                             params={"count": str(PAGE_SIZE), "cursor": cursor})
        answer.raise_for_status()
        body = answer.json()
        total = total or body["totalResults"]
        pages += 1
        users += len(body.get("Resources", []))
        cursor = body.get("nextCursor")
    session.close()
    return Walk(pages, users, total, time.perf_counter() - began)


def table(rows: list[tuple[str, MemoryRow]]) -> str:
    """(backend, row) pairs as markdown, MB."""
    lines = ["| backend | phase | worker pid | RSS start MB | peak MB | end MB | growth MB |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for backend, r in rows:
        lines.append(
            f"| {backend} | {r.phase} | {r.pid} | {r.start_kb / 1024:.1f} "
            f"| {r.peak_kb / 1024:.1f} | {r.end_kb / 1024:.1f} "
            f"| {(r.end_kb - r.start_kb) / 1024:+.1f} |")
    return "\n".join(lines)
