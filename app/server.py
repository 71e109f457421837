"""gunicorn embedded, so `scim-seats serve` needs no separate config file."""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication

# bench/scim_bench.py runs its throughput ceiling (a minimal Flask app) with the same threads.
THREADS_PER_WORKER = 4


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from app.factory import create_app

        return create_app()


def _remove_when_owner_exits(path: str) -> None:
    """Forked workers inherit atexit handlers: only the process that made the directory
    removes it, not each worker that exits while the others still write there."""
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:
            shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)


def _share_metrics_between_workers() -> None:
    """Each worker counts its own requests; a directory shared by the workers lets /metrics
    sum them (prometheus_client multiprocess mode). Set before any worker is forked."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        path = tempfile.mkdtemp(prefix="scim-seats-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
        _remove_when_owner_exits(path)


def _quit_at_once(signum: int, _frame: Any) -> None:
    """An unfinished request's transaction rolls back in the database; nothing else is lost."""
    os._exit(0)


def _quick_shutdown_without_locks(worker: Any) -> None:
    """gunicorn's post_worker_init hook. Ctrl-C sends SIGINT to every process of the
    terminal's group and the master adds SIGQUIT: both mean quick shutdown. gthread's own
    handler shuts its thread pool down from inside the signal handler, which deadlocks when
    the signal lands while the worker is handing a connection to that pool (the pool's lock
    is held), and sys.exit() then waits for busy pool threads; either way the master ends
    it with SIGKILL ("Perhaps out of memory?"). Exit at once instead. SIGTERM, what
    production stops send, stays graceful."""
    for signum in (signal.SIGINT, signal.SIGQUIT):
        signal.signal(signum, _quit_at_once)


def run_gunicorn(*, host: str, port: int, workers: int) -> None:
    _share_metrics_between_workers()
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": THREADS_PER_WORKER,
            "accesslog": "-",
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
            "graceful_timeout": 5,
            "post_worker_init": _quick_shutdown_without_locks,
            # One shared control socket per user would collide between several servers.
            "control_socket_disable": True,
        }
    ).run()
