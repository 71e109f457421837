"""Live servers and a process pool that fires requests at one instant."""
from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from tests.live_server import live_server

PROCESSES = 8


@pytest.fixture(scope="module")
def servers(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """One server on SQLite; two on PostgreSQL (several servers against one database)."""
    logs = tmp_path_factory.mktemp("server-logs")
    count = 1 if database_url.startswith("sqlite") else 2
    with live_server(database_url, log_path=logs / "a.log") as first:
        if count == 1:
            yield [first]
            return
        with live_server(database_url, log_path=logs / "b.log") as second:
            yield [first, second]


def race(worker: Callable[[Any], Any], jobs: Sequence[tuple[Any, ...]],
         processes: int = PROCESSES) -> list[Any]:
    """Runs `worker(job + (start_at,))` for every job in separate OS processes; each worker
    sleeps until `start_at` so the requests really overlap."""
    start_at = time.time() + 1.0
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        return list(pool.map(worker, [(*job, start_at) for job in jobs]))
